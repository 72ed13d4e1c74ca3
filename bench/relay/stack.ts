/**
 * Starts the relay benchmark's processes and talks to them:
 * - the bench backend (core 1) and the load generator (core 1, IPC commands);
 * - the systems under test on core 0: the gateway (log level warn, no
 *   tracing), the full-stack gateway (API-key auth, quotas in the memory
 *   store, a stream-duration cap, tracing sampled at 10 % to a fake OTLP
 *   collector, access logs at info to a file, /metrics scraped), the
 *   nice-grpc ceiling server and nginx.
 * Every process is registered in processes.ts, so that it is stopped on exit.
 */
import { createHash } from "node:crypto";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stringify } from "yaml";
import { unusedPort } from "../../test/support/ports.js";
import type { Command, LoadTarget, Reply, WindowEvent } from "./protocol.js";
import { spawnPinned, type Proc } from "./processes.js";

export const SUT_CORE = 0;
export const HARNESS_CORE = 1;
/** Children die on their own after this long, whatever happens to the orchestrator. */
const CHILD_TTL_S = 3 * 3600;
const HERE = new URL(".", import.meta.url).pathname;

/** Starts a bench TypeScript entry point (tsx) and reads the `{"ports":[...]}` line it prints, if it prints one. */
export async function startNodeChild(name: string, file: string, core: number, args: readonly string[] = [], waitForPort = true): Promise<{ proc: Proc; ports: number[] }> {
  const proc = spawnPinned(name, process.execPath, ["--import", "tsx", join(HERE, file), "--ttl-s", String(CHILD_TTL_S), ...args], {
    core,
    stdio: ["ignore", waitForPort ? "pipe" : "inherit", "inherit", "ipc"],
  });
  if (!waitForPort) return { proc, ports: [] };
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no port within 20 s`)), 20_000);
    const lines = createInterface({ input: proc.child.stdout! });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { ports: number[] }).ports);
      } catch {
        reject(new Error(`${name}: unexpected first line ${line}`));
      }
    });
    proc.child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before listening`)));
  });
  return { proc, ports };
}

/** The load generator: one command at a time over IPC; window edges reported as they happen. */
export class LoadGen {
  readonly proc: Proc;
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; onWindow?: (edge: "start" | "end") => void }>();

  private constructor(proc: Proc) {
    this.proc = proc;
    proc.child.on("message", (message: Reply | WindowEvent | { event: "ready" }) => {
      if ("event" in message) {
        if (message.event === "window") this.#pending.get(message.id)?.onWindow?.(message.edge);
        return;
      }
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    });
    proc.child.once("exit", (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`load generator exited with ${code}`));
      this.#pending.clear();
    });
  }

  static async start(): Promise<LoadGen> {
    const { proc } = await startNodeChild("load-gen", "load-gen.ts", HARNESS_CORE, [], false);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("load generator not ready within 20 s")), 20_000);
      proc.child.once("message", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return new LoadGen(proc);
  }

  /** Runs one command; `onWindow` is called at its window's edges. Rejects after `timeoutMs`. */
  run<T>(command: Command, timeoutMs: number, onWindow?: (edge: "start" | "end") => void): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`load generator: ${command.op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        ...(onWindow !== undefined && { onWindow }),
      });
      this.proc.child.send({ id, command });
    });
  }

  /** Retries a probe stream until it succeeds (a process that has just started), at most `timeoutMs`. */
  async waitUntilServing(target: LoadTarget, sut: Proc | undefined, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = "";
    while (performance.now() < deadline) {
      if (sut?.exited() === true) throw new Error(`${sut.name} exited`);
      try {
        await this.run({ op: "probe", target, spec: { tokens: 3, rate: 0, firstMs: 0 } }, 10_000);
        return;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`${sut?.name ?? "target"} not serving within ${timeoutMs} ms: ${last}`);
  }
}

/** The API key the full-stack gateway accepts (the config holds only its SHA-256). */
export const BENCH_API_KEY = "bench-relay-key-0123456789";

export interface GatewayHandle {
  readonly proc: Proc;
  readonly port: number;
  readonly adminPort: number;
  readonly logFile: string;
  readonly target: LoadTarget;
}

/** Environment for a gateway child: no OTEL_* or OLLAMA_GRPC_* from our own environment (they would change its config). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_") && !key.startsWith("OLLAMA_GRPC_")));
  return { ...env, ...extra };
}

/**
 * Starts `ollama-grpc serve` on core 0 with one endpoint per listener of the
 * bench backend (a fleet of 8 served by one process), every stream
 * admitted at once (max_concurrency and upstream connections above the
 * largest stream count measured). stdout/stderr go to `dir/<name>.log`.
 */
export async function startGateway(
  name: string,
  options: { bin: string; dir: string; backendUrls: readonly string[]; fullStack: false } | { bin: string; dir: string; backendUrls: readonly string[]; fullStack: true; otlpPort: number },
): Promise<GatewayHandle> {
  const port = await unusedPort();
  const adminPort = await unusedPort();
  const config: Record<string, unknown> = {
    listen: `127.0.0.1:${port}`,
    backends: options.backendUrls.map((url, i) => ({ name: `b${i + 1}`, url, max_concurrency: 10_000 })),
    admin: { listen: `127.0.0.1:${adminPort}` },
    upstream: { connections: 10_000 },
    log: { level: options.fullStack ? "info" : "warn" },
    // Stopped with streams still open: abort them within the harness's SIGTERM grace (3 s), so the process
    // exits by itself (and writes its --cpu-prof profile, see BENCH_GATEWAY_NODE_ARGS).
    streams: { drain_timeout: "1s" },
  };
  let env = cleanEnv({});
  if (options.fullStack) {
    Object.assign(config, {
      auth: {
        enabled: true,
        api_keys: [{ name: "bench", sha256: createHash("sha256").update(BENCH_API_KEY).digest("hex"), tenant: "bench", scopes: [], models: ["bench*"] }],
      },
      quotas: {
        store: "memory",
        per_principal: { request_rate: "1000000/s", burst: 1_000_000, concurrent_streams: 100_000, tokens_per_minute: 1_000_000_000 },
      },
      streams: { max_stream_duration: "1h", drain_timeout: "1s" },
    });
    env = cleanEnv({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${options.otlpPort}`,
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    });
  }
  const file = join(options.dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const logFile = join(options.dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  // Profiling hook: BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the gateway's node only.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const proc = spawnPinned(name, process.execPath, [...nodeArgs, options.bin, "serve", "--config", file], { core: SUT_CORE, env, stdio: ["ignore", fd, fd] });
  const target: LoadTarget = options.fullStack ? { kind: "grpc", address: `127.0.0.1:${port}`, apiKey: BENCH_API_KEY } : { kind: "grpc", address: `127.0.0.1:${port}` };
  return { proc, port, adminPort, logFile, target };
}

/** Last lines of a log file (for error messages). */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** The bench backend's counters. */
export async function backendStats(url: string): Promise<{ started: number; active: number; completed: number; aborted: number; tokens: number }> {
  const response = await fetch(`${url}/bench/stats`);
  return (await response.json()) as { started: number; active: number; completed: number; aborted: number; tokens: number };
}

/** Polls the backend until `predicate` holds on its counters, at most `timeoutMs`; resolves whether it did. */
export async function waitForBackend(url: string, predicate: (s: { active: number }) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (predicate(await backendStats(url))) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
