/**
 * The fleet-wide RPCs against three simulators: each RPC, partial backend
 * failures reported rather than fatal, NOT_FOUND only when no backend has the
 * model, a cancelled pull aborting every backend's download, and management
 * calls refused unless enabled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Status, type Metadata } from "nice-grpc";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator, type SimModel } from "../../src/sim/index.js";
import { packageVersion } from "../../src/common/package-files.js";
import { caught, collect, simIdle, startTestGateway, type TestGateway } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";
import { unusedPort } from "../support/ports.js";

const model = (name: string): SimModel => DEFAULT_SIM_MODELS.find((m) => m.name === name)!;
const sims: RunningSimulator[] = [];
let fleet: TestGateway;

beforeAll(async () => {
  // b1 and b2 hold llama3.2 (loaded on b2); only b1 has qwen3; all three have all-minilm.
  sims.push(await startSimulator({ models: [model("llama3.2:latest"), model("qwen3:latest"), model("all-minilm:latest")], tokensPerSecond: 0, defaultLoadMs: 5 }));
  sims.push(await startSimulator({ models: [model("llama3.2:latest"), model("all-minilm:latest")], preloaded: ["llama3.2:latest"], tokensPerSecond: 0, defaultLoadMs: 5 }));
  sims.push(await startSimulator({ models: [model("all-minilm:latest")], tokensPerSecond: 0, defaultLoadMs: 5 }));
  fleet = await startTestGateway(sims.map((s) => s.url), (config) => {
    config.management.enabled = true;
    config.limits.maxEmbedInputs = 4;
  });
});
afterEach(() => {
  for (const sim of sims) {
    sim.setFault("*", undefined);
    sim.configure({ tokensPerSecond: 0 });
  }
});
afterAll(async () => {
  await fleet?.close();
  await Promise.all(sims.map((s) => s.close()));
});

describe("Embed", () => {
  it("returns one normalized vector per input, with usage and the backend", async () => {
    const response = await fleet.client.embed({ model: "all-minilm", input: ["hello", "world"] });
    expect(response.embeddings).toHaveLength(2);
    const [first] = response.embeddings;
    expect(first!.values.length).toBe(384);
    const norm = Math.sqrt(first!.values.reduce((sum, v) => sum + v * v, 0));
    expect(norm).toBeCloseTo(1, 4);
    expect(response).toMatchObject({ model: "all-minilm", backend: expect.stringMatching(/^b[123]$/) });
    expect(response.promptEvalCount).toBeGreaterThan(0);
    expect(response.timings?.totalDuration).toBeDefined();
  });

  it("a successful Embed counts as a success: the serving backend is marked as holding the model in memory", async () => {
    const response = await fleet.client.embed({ model: "all-minilm", input: ["resident?"] });
    const view = fleet.gateway.fleet.fleet.pool.endpoints().find((e) => e.name === response.backend);
    expect(view?.loaded.has("all-minilm:latest")).toBe(true);
  });

  it("passes dimensions, truncate, keep_alive and options to Ollama", async () => {
    const response = await fleet.client.embed({
      model: "all-minilm",
      input: ["x"],
      dimensions: 64,
      truncate: false,
      keepAlive: { seconds: 30, nanos: 0 },
      options: { numCtx: 256 },
    });
    expect(response.embeddings[0]!.values).toHaveLength(64);
    const sim = sims.find((s) => s.requests().some((r) => r.path === "/api/embed" && (r.body as { dimensions?: number }).dimensions === 64))!;
    expect(sim.requests().filter((r) => r.path === "/api/embed").at(-1)!.body).toEqual({
      model: "all-minilm",
      input: ["x"],
      dimensions: 64,
      truncate: false,
      keep_alive: 30,
      options: { num_ctx: 256 },
    });
  });

  it("rejects a batch above limits.max_embed_inputs instead of splitting it", async () => {
    const error = await caught(() => fleet.client.embed({ model: "all-minilm", input: ["a", "b", "c", "d", "e"] }));
    const details = expectStatus(error, Status.INVALID_ARGUMENT);
    expect(details.find((d) => d.$type === "google.rpc.BadRequest")).toMatchObject({ fieldViolations: [{ field: "input" }] });
  });

  it("maps an unknown model to NOT_FOUND", async () => {
    const error = await caught(() => fleet.client.embed({ model: "nope", input: ["x"] }));
    expectStatus(error, Status.NOT_FOUND);
    expect(errorInfoOf(error).reason).toBe("MODEL_NOT_FOUND");
  });
});

describe("ShowModel", () => {
  it("answers from a backend that holds the model", async () => {
    const response = await fleet.client.showModel({ model: "qwen3" });
    expect(response.backend).toBe("b1");
    expect(response.capabilities).toEqual(expect.arrayContaining(["completion", "thinking"]));
    expect(response.details?.family).not.toBe("");
    expect(response.modelInfo).toBeDefined();
  });

  it("asks only the named backend when one is given", async () => {
    expectStatus(await caught(() => fleet.client.showModel({ model: "qwen3", backend: "b3" })), Status.NOT_FOUND);
    expectStatus(await caught(() => fleet.client.showModel({ model: "qwen3", backend: "b9" })), Status.INVALID_ARGUMENT);
  });

  it("is NOT_FOUND only when every backend says so, UNAVAILABLE when one could not be asked", async () => {
    const error = await caught(() => fleet.client.showModel({ model: "missing-model" }));
    expectStatus(error, Status.NOT_FOUND);
    const withDead = await startTestGateway([...sims.map((s) => s.url), `http://127.0.0.1:${await unusedPort()}`]);
    try {
      const partial = await caught(() => withDead.client.showModel({ model: "missing-model" }));
      expectStatus(partial, Status.UNAVAILABLE);
      expect((partial as Error).message).toMatch(/b4: .*ECONNREFUSED/);
      // A model that one reachable backend holds is still found.
      expect((await withDead.client.showModel({ model: "qwen3" })).backend).toBe("b1");
    } finally {
      await withDead.close();
    }
  });
});

describe("ListRunningModels", () => {
  it("lists loaded models per backend and reports unreachable backends", async () => {
    const dead = `http://127.0.0.1:${await unusedPort()}`;
    const gateway = await startTestGateway([...sims.map((s) => s.url), dead]);
    try {
      const response = await gateway.client.listRunningModels({});
      const llama = response.models.filter((m) => m.name === "llama3.2:latest");
      expect(llama.map((m) => m.backend)).toContain("b2");
      expect(llama[0]).toMatchObject({ sizeVram: expect.any(Number), contextLength: expect.any(Number) });
      expect(llama[0]!.expiresAt).toBeInstanceOf(Date);
      expect(response.backends.map((b) => [b.backend, b.reachable])).toEqual([
        ["b1", true],
        ["b2", true],
        ["b3", true],
        ["b4", false],
      ]);
    } finally {
      await gateway.close();
    }
  });
});

describe("PullModel", () => {
  it("pulls on every backend, interleaving labelled progress, each ending with done", async () => {
    let trailer: Metadata | undefined;
    const messages = await collect(fleet.client.pullModel({ model: "phi4" }, { onTrailer: (t) => (trailer = t) }));
    for (const backend of ["b1", "b2", "b3"]) {
      const own = messages.filter((m) => m.backend === backend);
      expect(own[0]!.status).toBe("pulling manifest");
      expect(own.some((m) => m.status.startsWith("pulling ") && m.total > 0 && m.completed === m.total)).toBe(true);
      expect(own.at(-1)).toMatchObject({ status: "success", done: true, error: "" });
    }
    expect(trailer?.get("ollama-pull-succeeded")).toBe("b1,b2,b3");
    expect(trailer?.get("ollama-pull-failed")).toBe("");
    const catalogue = await fleet.client.listModels({});
    expect(catalogue.models.find((m) => m.name === "phi4:latest")?.locations.map((l) => l.backend)).toEqual(["b1", "b2", "b3"]);
  });

  it("reports a failing backend in its last message and keeps the others going", async () => {
    sims[1]!.setFault("*", { errorAfterTokens: 2, message: "pull model manifest: connection reset" });
    let trailer: Metadata | undefined;
    const messages = await collect(fleet.client.pullModel({ model: "gemma3", backends: ["b1", "b2"] }, { onTrailer: (t) => (trailer = t) }));
    expect(messages.filter((m) => m.backend === "b2").at(-1)).toMatchObject({ status: "error", done: false, error: "pull model manifest: connection reset" });
    expect(messages.filter((m) => m.backend === "b1").at(-1)).toMatchObject({ done: true });
    expect(messages.some((m) => m.backend === "b3")).toBe(false);
    expect(trailer?.get("ollama-pull-failed")).toBe("b2");
  });

  it("fails the RPC when every pull failed", async () => {
    sims[2]!.setFault("*", { status: 500, message: "disk full" });
    const error = await caught(() => collect(fleet.client.pullModel({ model: "gemma3", backends: ["b3"] })));
    expectStatus(error, Status.INTERNAL);
    expect((error as Error).message).toContain("b3: disk full");
  });

  it("cancelling the RPC aborts the pull on every backend", async () => {
    for (const sim of sims) sim.configure({ tokensPerSecond: 5 });
    const aborted = sims.map((s) => s.stats().abortedByClient);
    const controller = new AbortController();
    const seen = new Set<string>();
    const error = await caught(async () => {
      for await (const message of fleet.client.pullModel({ model: "mistral" }, { signal: controller.signal })) {
        seen.add(message.backend);
        if (seen.size === 3) controller.abort();
      }
    });
    expect((error as Error).name).toBe("AbortError");
    for (const [i, sim] of sims.entries()) {
      await simIdle(sim, 100);
      expect(sim.stats().abortedByClient).toBe(aborted[i]! + 1);
    }
  });

  it("rejects unknown backend names", async () => {
    const error = await caught(() => collect(fleet.client.pullModel({ model: "x", backends: ["b1", "nope", "b1"] })));
    const details = expectStatus(error, Status.INVALID_ARGUMENT);
    expect(details.find((d) => d.$type === "google.rpc.BadRequest")).toMatchObject({
      fieldViolations: [{ field: "backends[1]" }, { field: "backends[2]" }],
    });
  });
});

describe("DeleteModel and CopyModel", () => {
  it("copies on the chosen backends and reports per-backend results", async () => {
    const response = await fleet.client.copyModel({ source: "qwen3", destination: "qwen3-backup", backends: ["b1", "b2"] });
    expect(response.results.map((r) => [r.backend, r.ok, r.code])).toEqual([
      ["b1", true, Status.OK],
      ["b2", false, Status.NOT_FOUND],
    ]);
    expect(response.results[1]!.error).toMatch(/not found/);
    expect(sims[0]!.requests().filter((r) => r.path === "/api/copy").at(-1)!.body).toEqual({ source: "qwen3", destination: "qwen3-backup" });
  });

  it("deletes everywhere the model exists; NOT_FOUND when it exists nowhere", async () => {
    const response = await fleet.client.deleteModel({ model: "qwen3-backup" });
    expect(response.results.map((r) => [r.backend, r.ok])).toEqual([
      ["b1", true],
      ["b2", false],
      ["b3", false],
    ]);
    const error = await caught(() => fleet.client.deleteModel({ model: "qwen3-backup" }));
    expectStatus(error, Status.NOT_FOUND);
    expect(errorInfoOf(error)).toMatchObject({ reason: "ALL_BACKENDS_FAILED", metadata: { backends: "b1,b2,b3" } });
  });
});

describe("LoadModel and UnloadModel", () => {
  it("loads on N holders, preferring those where the model is already resident", async () => {
    const response = await fleet.client.loadModel({ model: "llama3.2", count: 1, keepAlive: { seconds: 600, nanos: 0 } });
    expect(response.results.map((r) => [r.backend, r.ok])).toEqual([["b2", true]]); // b2 had it loaded already
    expect(response.results[0]!.duration).toBeDefined();
    const both = await fleet.client.loadModel({ model: "llama3.2" });
    expect(both.results.map((r) => r.backend).sort()).toEqual(["b1", "b2"]); // every holder, not b3
    const sent = sims[1]!.requests().filter((r) => r.path === "/api/generate")[0]!.body;
    expect(sent).toEqual({ model: "llama3.2", prompt: "", stream: false, keep_alive: 600 });
    const running = await fleet.client.listRunningModels({});
    expect(running.models.filter((m) => m.name === "llama3.2:latest").map((m) => m.backend)).toEqual(["b1", "b2"]);
  });

  it("loads an embedding-only model through /api/embed", async () => {
    const response = await fleet.client.loadModel({ model: "all-minilm", backends: ["b3"] });
    expect(response.results).toMatchObject([{ backend: "b3", ok: true }]);
    expect(sims[2]!.requests().filter((r) => r.path === "/api/embed").at(-1)!.body).toEqual({ model: "all-minilm", input: [] });
  });

  it("is NOT_FOUND when no candidate holds the model", async () => {
    expectStatus(await caught(() => fleet.client.loadModel({ model: "qwen3", backends: ["b2", "b3"] })), Status.NOT_FOUND);
  });

  it("unloads with keep_alive 0", async () => {
    const response = await fleet.client.unloadModel({ model: "llama3.2", backends: ["b1", "b2"] });
    expect(response.results.every((r) => r.ok)).toBe(true);
    expect(sims[0]!.requests().filter((r) => r.path === "/api/generate").at(-1)!.body).toEqual({ model: "llama3.2", prompt: "", stream: false, keep_alive: 0 });
    const running = await fleet.client.listRunningModels({});
    expect(running.models.filter((m) => m.name === "llama3.2:latest")).toEqual([]);
  });
});

describe("GetVersion", () => {
  it("returns the gateway's and every backend's version", async () => {
    const response = await fleet.client.getVersion({});
    expect(response.gatewayVersion).toBe(packageVersion());
    expect(response.backends).toEqual([
      { backend: "b1", version: "0.33.0-sim", reachable: true, error: "" },
      { backend: "b2", version: "0.33.0-sim", reachable: true, error: "" },
      { backend: "b3", version: "0.33.0-sim", reachable: true, error: "" },
    ]);
  });
});

describe("management switch", () => {
  it("refuses every management call with PERMISSION_DENIED unless management is enabled", async () => {
    const locked = await startTestGateway([sims[0]!.url]);
    try {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["PullModel", () => collect(locked.client.pullModel({ model: "x" }))],
        ["DeleteModel", () => locked.client.deleteModel({ model: "x" })],
        ["CopyModel", () => locked.client.copyModel({ source: "x", destination: "y" })],
        ["LoadModel", () => locked.client.loadModel({ model: "x" })],
        ["UnloadModel", () => locked.client.unloadModel({ model: "x" })],
      ];
      const before = sims[0]!.requests().length;
      for (const [method, call] of calls) {
        const error = await caught(call);
        expectStatus(error, Status.PERMISSION_DENIED);
        expect(errorInfoOf(error)).toMatchObject({ reason: "MANAGEMENT_DISABLED", metadata: { method } });
      }
      expect(sims[0]!.requests().slice(before).filter((r) => r.method !== "GET"), "nothing that changes a backend reached Ollama").toEqual([]);
      // Read-only calls stay open.
      await locked.client.listModels({});
      await locked.client.getVersion({});
    } finally {
      await locked.close();
    }
  });
});

describe("LoadModel with unreachable candidates", () => {
  it("reports an unreachable candidate only when the count could not be met without it", async () => {
    const withDead = await startTestGateway([sims[0]!.url, `http://127.0.0.1:${await unusedPort()}`], (config) => {
      config.management.enabled = true;
    });
    try {
      const met = await withDead.client.loadModel({ model: "qwen3", count: 1 });
      expect(met.results.map((r) => [r.backend, r.ok])).toEqual([["b1", true]]);
      const short = await withDead.client.loadModel({ model: "qwen3", count: 2 });
      expect(short.results.map((r) => [r.backend, r.ok, r.code])).toEqual([
        ["b1", true, Status.OK],
        ["b2", false, Status.UNAVAILABLE],
      ]);
    } finally {
      await withDead.close();
    }
  });
});
