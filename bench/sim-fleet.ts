/**
 * The simulated fleet of the scheduling benchmark, in its own process so
 * its CPU is apart from the gateway's and the load generator's.
 *
 *   node --import tsx bench/sim-fleet.ts '<FleetSpec as JSON>'   (default: FLEET of workload.ts)
 *
 * Starts one simulator per node on 127.0.0.1:0 and prints one JSON line
 * `{"ready": true, "nodes": [{"name", "url", "numParallel"}]}`. Commands on
 * stdin, one per line, each answered with one JSON line:
 *
 *   stats   per node: the simulator's counters (`/sim/stats`), cold loads
 *           (count, and per model), evictions, and what is resident now
 *   quit    closes every simulator and exits 0 (so does SIGTERM or stdin's end)
 *
 * Cold loads: the simulator exposes no load counter, so this process samples
 * each node's residency (`/api/ps`, the same data Ollama shows) every
 * 100 ms and counts a model appearing that was not resident at the previous
 * sample as one cold load. This misses nothing: a load takes >= 1 s during
 * which the model is absent, and a freshly loaded model stays resident at
 * least while its first request runs (it holds a reference). The preloaded
 * models are the initial state, not loads.
 */
import { createInterface } from "node:readline";
import { startSimulator, type RunningSimulator, type SimModel } from "../src/sim/index.js";
import { FLEET, type FleetSpec } from "./workload.js";

const SAMPLE_MS = 100;

interface NodeState {
  readonly name: string;
  readonly numParallel: number;
  readonly sim: RunningSimulator;
  resident: Set<string>;
  loads: number;
  evictions: number;
  readonly loadsByModel: Record<string, number>;
  sampleErrors: number;
}

async function main(): Promise<void> {
  const spec: FleetSpec = process.argv[2] !== undefined ? (JSON.parse(process.argv[2]) as FleetSpec) : FLEET;
  const models: SimModel[] = spec.models.map((m) => ({ name: m.name, capabilities: ["completion"], loadMs: m.loadMs, contextLength: 8192 }));
  const nodes: NodeState[] = [];
  for (const node of spec.nodes) {
    const sim = await startSimulator({
      models,
      numParallel: node.numParallel,
      maxLoadedModels: spec.maxLoadedModels,
      firstTokenMs: spec.firstTokenMs,
      tokensPerSecond: spec.tokensPerSecond,
      tokens: spec.tokens,
      preloaded: [...node.preloaded],
      defaultKeepAlive: "-1", // never unload on a timer: only memory pressure evicts (the run is short anyway)
      requestLogSize: 16,
    });
    nodes.push({
      name: node.name,
      numParallel: node.numParallel,
      sim,
      resident: new Set(node.preloaded),
      loads: 0,
      evictions: 0,
      loadsByModel: Object.fromEntries(spec.models.map((m) => [m.name, 0])),
      sampleErrors: 0,
    });
  }

  let sampling = false;
  const sample = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      await Promise.all(
        nodes.map(async (node) => {
          try {
            const ps = (await (await fetch(`${node.sim.url}/api/ps`)).json()) as { models?: Array<{ name: string }> };
            const now = new Set((ps.models ?? []).map((m) => m.name));
            for (const name of now) {
              if (!node.resident.has(name)) {
                node.loads += 1;
                node.loadsByModel[name] = (node.loadsByModel[name] ?? 0) + 1;
              }
            }
            for (const name of node.resident) if (!now.has(name)) node.evictions += 1;
            node.resident = now;
          } catch {
            node.sampleErrors += 1;
          }
        }),
      );
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), SAMPLE_MS);

  let closing: Promise<void> | undefined;
  const quit = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      await Promise.all(nodes.map((n) => n.sim.close()));
    })();
    return closing;
  };

  const report = async (): Promise<unknown> => {
    await sample();
    return {
      nodes: nodes.map((n) => ({
        name: n.name,
        numParallel: n.numParallel,
        stats: n.sim.stats(),
        coldLoads: n.loads,
        evictions: n.evictions,
        loadsByModel: n.loadsByModel,
        resident: [...n.resident].sort(),
        sampleErrors: n.sampleErrors,
      })),
    };
  };

  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const command = line.trim();
    if (command === "stats") {
      void report().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
    } else if (command === "quit") {
      void quit().then(() => process.exit(0));
    }
  });
  lines.on("close", () => void quit().then(() => process.exit(0)));
  process.on("SIGTERM", () => void quit().then(() => process.exit(0)));

  process.stdout.write(`${JSON.stringify({ ready: true, nodes: nodes.map((n) => ({ name: n.name, url: n.sim.url, numParallel: n.numParallel })) })}\n`);
}

await main();
