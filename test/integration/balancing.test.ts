/**
 * Client-side balancing end to end, against simulators on loopback:
 * killing a backend under load fails no call that had not received a token;
 * a session key sticks to one backend; a model is never sent to a backend
 * without it; the gateway queue bounds waiting; busy and failing backends are
 * retried around and ejected; the admin endpoint shows the fleet.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ClientError, Metadata, Status } from "nice-grpc";
import { Role } from "../../gen/ollama/v1/ollama.js";
import type { Config } from "../../src/config/schema.js";
import { formatStatus } from "../../src/cli/status-command.js";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator, type SimModel, type SimulatorOptions } from "../../src/sim/index.js";
import { caught, collect, startTestGateway, type TestGateway } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";

const model = (name: string): SimModel => DEFAULT_SIM_MODELS.find((m) => m.name === name)!;
const chat = (name: string, content = "hello") => ({ model: name, messages: [{ role: Role.ROLE_USER, content }] });

let sims: RunningSimulator[] = [];
let gateway: TestGateway | undefined;
const closedSims = new Set<RunningSimulator>();

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await Promise.all(sims.filter((s) => !closedSims.has(s)).map((s) => s.close()));
  sims = [];
  closedSims.clear();
});

async function fleetOf(simOptions: SimulatorOptions[], tune: (config: Config) => void = () => {}): Promise<TestGateway> {
  sims = [];
  for (const options of simOptions) sims.push(await startSimulator({ defaultLoadMs: 0, firstTokenMs: 0, tokensPerSecond: 0, ...options }));
  gateway = await startTestGateway(sims.map((s) => s.url), (config) => {
    for (const backend of config.backends) backend.maxConcurrency = 4;
    config.healthCheck.intervalMs = 200;
    config.healthCheck.timeoutMs = 200;
    config.healthCheck.unhealthyThreshold = 1;
    config.retry.baseBackoffMs = 5;
    tune(config);
  });
  return gateway;
}

/** The backend that served a finished Chat (from its final message). */
async function servedBy(gw: TestGateway, request: ReturnType<typeof chat>, sessionId?: string): Promise<string> {
  const metadata = sessionId === undefined ? undefined : Metadata({ "x-session-id": sessionId });
  const messages = await collect(gw.client.chat(request, metadata === undefined ? {} : { metadata }));
  return messages.at(-1)!.backend;
}

describe("failover", () => {
  it("killing one of four backends under load fails no call that had not received a token", async () => {
    const gw = await fleetOf(Array.from({ length: 4 }, () => ({ tokensPerSecond: 100, tokens: 10, numParallel: 4, preloaded: ["llama3.2:latest"] })));
    const outcomes: Array<{ ok: boolean; tokens: number; code?: Status; reason?: string }> = [];
    let completed = 0;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      for (let i = 0; i < 12; i++) {
        let tokens = 0;
        try {
          for await (const message of gw.client.chat(chat("llama3.2"))) if (!message.done) tokens++;
          outcomes.push({ ok: true, tokens });
          if (++completed === 30) {
            closedSims.add(sims[1]!);
            killed = sims[1]!.close(); // kill b2 while calls are running on it
          }
        } catch (error) {
          const e = error as ClientError;
          outcomes.push({ ok: false, tokens, code: e.code, reason: errorInfoOf(error).reason });
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    await killed;
    const failures = outcomes.filter((o) => !o.ok);
    expect(outcomes).toHaveLength(120);
    for (const failure of failures) {
      expect(failure.tokens, JSON.stringify(failure)).toBeGreaterThan(0);
      expect(failure).toMatchObject({ code: Status.UNAVAILABLE, reason: "UPSTREAM_STREAM_INTERRUPTED" });
    }
    expect(failures.length).toBeLessThanOrEqual(4); // at most the calls that were mid-stream on b2
    // The kill did hit calls: some failed mid-stream or were retried elsewhere before their first token.
    const retried = gw.logs.records.filter((r) => r.msg === "rpc" && typeof r.retries === "number" && r.retries > 0).length;
    expect(failures.length + retried).toBeGreaterThan(0);
    const b2 = gw.gateway.fleet.status().endpoints as Array<{ name: string; health: string; ejected: boolean }>;
    expect(b2.find((e) => e.name === "b2")).toMatchObject({ health: "unhealthy" });
  });

  it("retries a busy (503) backend's calls elsewhere, without counting it as a failure", async () => {
    const gw = await fleetOf([{}, {}], (config) => (config.balancing.policy = "round_robin"));
    sims[0]!.setFault("*", { status: 503, message: "server busy, please try again.  maximum pending requests exceeded" });
    const backends = await Promise.all(Array.from({ length: 6 }, () => servedBy(gw, chat("llama3.2"))));
    expect(new Set(backends)).toEqual(new Set(["b2"]));
    const status = gw.gateway.fleet.status().endpoints as Array<{ name: string; ejected: boolean }>;
    expect(status.find((e) => e.name === "b1")?.ejected).toBe(false);
  });

  it("ejects a backend that keeps failing with 5xx, and routes around it", async () => {
    const gw = await fleetOf([{}, {}], (config) => {
      config.balancing.policy = "round_robin";
      config.outlierDetection.consecutive5xx = 3;
    });
    sims[0]!.setFault("*", { status: 500, message: "runner crashed" });
    for (let i = 0; i < 8; i++) expect(await servedBy(gw, chat("llama3.2"))).toBe("b2"); // each failure retried on b2
    const status = gw.gateway.fleet.status().endpoints as Array<{ name: string; ejected: boolean; failures: number }>;
    expect(status.find((e) => e.name === "b1")).toMatchObject({ ejected: true, failures: 3 });
    const attemptsOnB1 = sims[0]!.requests().filter((r) => r.path === "/api/chat").length;
    await servedBy(gw, chat("llama3.2"));
    expect(sims[0]!.requests().filter((r) => r.path === "/api/chat").length).toBe(attemptsOnB1); // ejected: not tried
  });
});

describe("affinity", () => {
  it.each(["ring_hash", "ollama"])("policy %s keeps each session on one backend", async (policy) => {
    const gw = await fleetOf(Array.from({ length: 4 }, () => ({ preloaded: ["llama3.2:latest"] })), (config) => (config.balancing.policy = policy));
    const sessions = ["s-alice", "s-bob", "s-carol", "s-dave", "s-erin", "s-frank", "s-grace", "s-heidi"];
    const owners = new Map<string, Set<string>>();
    for (let turn = 0; turn < 4; turn++) {
      for (const session of sessions) {
        const backend = await servedBy(gw, chat("llama3.2", `turn ${turn}`), session);
        owners.set(session, (owners.get(session) ?? new Set()).add(backend));
      }
    }
    for (const [session, backends] of owners) expect([...backends], session).toHaveLength(1);
    expect(new Set([...owners.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });
});

describe("model-aware routing", () => {
  it("sends a model only to backends that have it", async () => {
    const gw = await fleetOf([
      { models: [model("llama3.2:latest"), model("qwen3:latest")] },
      { models: [model("llama3.2:latest")] },
      { models: [model("qwen3:latest")] },
      { models: [model("all-minilm:latest")] },
    ]);
    const backends = await Promise.all(Array.from({ length: 12 }, () => servedBy(gw, chat("qwen3"))));
    expect(new Set(backends).size).toBeGreaterThan(0);
    for (const backend of backends) expect(["b1", "b3"]).toContain(backend);
    for (const sim of [sims[1]!, sims[3]!]) {
      expect(sim.requests().filter((r) => r.path === "/api/chat")).toEqual([]);
    }
    const error = await caught(() => collect(gw.client.chat(chat("phi4"))));
    expectStatus(error, Status.NOT_FOUND);
  });

  it("prefers the backend where the model is already resident", async () => {
    const gw = await fleetOf([{ preloaded: [] }, { preloaded: ["llama3.2:latest"] }, { preloaded: [] }]);
    const backends = await Promise.all(Array.from({ length: 4 }, () => servedBy(gw, chat("llama3.2"))));
    expect(new Set(backends)).toEqual(new Set(["b2"])); // 4 slots on b2: no cold load needed elsewhere
  });
});

describe("admission queue", () => {
  it("queues beyond the backends' slots and answers RESOURCE_EXHAUSTED with RetryInfo when the queue is full", async () => {
    const gw = await fleetOf([{ tokensPerSecond: 20, tokens: 100 }], (config) => {
      config.backends[0]!.maxConcurrency = 1;
      config.queue.maxLength = 1;
    });
    // tune ran after the helper's maxConcurrency 4: this fleet has one slot
    const controller = new AbortController();
    const running = caught(() => collect(gw.client.chat(chat("llama3.2"), { signal: controller.signal })));
    const queued = caught(() => collect(gw.client.chat(chat("llama3.2"), { signal: controller.signal })));
    await waitFor(() => gw.gateway.fleet.fleet.pool.queueLength === 1);
    let trailer: Metadata | undefined;
    const rejected = await caught(() => collect(gw.client.chat(chat("llama3.2"), { onTrailer: (t) => (trailer = t) })));
    const details = expectStatus(rejected, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(rejected).reason).toBe("QUEUE_FULL");
    expect(details.some((d) => d.$type === "google.rpc.RetryInfo")).toBe(true);
    expect(Number(trailer?.get("grpc-retry-pushback-ms"))).toBeGreaterThan(0);
    controller.abort();
    await running;
    await queued;
  });

  it("gives up waiting after queue.max_wait", async () => {
    const gw = await fleetOf([{ tokensPerSecond: 20, tokens: 100 }], (config) => {
      config.backends[0]!.maxConcurrency = 1;
      config.queue.maxWaitMs = 150;
    });
    const controller = new AbortController();
    const running = caught(() => collect(gw.client.chat(chat("llama3.2"), { signal: controller.signal })));
    await waitFor(() => sims[0]!.stats().active === 1);
    const startedAt = performance.now();
    const timedOut = await caught(() => collect(gw.client.chat(chat("llama3.2"))));
    expectStatus(timedOut, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(timedOut).reason).toBe("QUEUE_TIMEOUT");
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    controller.abort();
    await running;
  });
});

describe("admin status", () => {
  it("serves the fleet as JSON on the admin port, and the CLI renders it", async () => {
    const gw = await fleetOf([{ preloaded: ["llama3.2:latest"] }, {}], (config) => (config.admin.listen = "127.0.0.1:0"));
    await servedBy(gw, chat("llama3.2"));
    const response = await fetch(`http://127.0.0.1:${gw.gateway.adminPort}/status`);
    expect(response.headers.get("content-type")).toBe("application/json");
    const status = (await response.json()) as Parameters<typeof formatStatus>[0];
    const [cluster] = status.clusters;
    expect(cluster).toMatchObject({ name: "default", models: ["*"], policy: "ollama" });
    expect(cluster!.endpoints.map((e) => e.name)).toEqual(["b1", "b2"]);
    expect(cluster!.endpoints[0]).toMatchObject({ maxConcurrency: 4, inFlight: 0, loaded: ["llama3.2:latest"], requests: 1 });
    expect(cluster!.endpoints[0]!.models).toEqual(expect.arrayContaining(["llama3.2:latest", "qwen3:latest"]));
    const table = formatStatus(status);
    expect(table).toMatch(/^BACKEND\s+STATE\s+SLOTS\s+RESIDENT/m);
    expect(table).toMatch(/^b1\s+\S+\s+0\/4\s+llama3\.2:latest/m);
    expect(table).toMatch(/policy ollama · 2\/2 backends usable · queue 0\/256/);
    expect((await fetch(`http://127.0.0.1:${gw.gateway.adminPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${gw.gateway.adminPort}/nope`)).status).toBe(404);
  });
});

/** Waits (bounded: 200 checks, one per macrotask turn) until `condition` holds. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
