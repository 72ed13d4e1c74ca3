/**
 * Every OllamaService RPC works for a non-Node caller: a Python client whose
 * stubs protoc generates from proto/ runs the whole read-and-manage scenario
 * against three simulators (the third holds llama3.2 under another digest),
 * and what each simulator received matches what the RPCs reported. A pull
 * cancelled with `call.cancel()` aborts the pull on every backend, and a
 * gateway without management refuses the management RPCs before any backend
 * is asked.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageFile } from "../../src/common/package-files.js";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { generatePythonStubs, PYTHON } from "../support/python-stubs.js";
import { simIdle, startTestGateway, type TestGateway } from "../support/harness.js";

const run = promisify(execFile);
const LLAMA_DIGEST_B3 = "f".repeat(64);

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed JSON from the client

let stubs: string;
let removeStubs: (() => void) | undefined;
const sims: RunningSimulator[] = [];
let managed: TestGateway;
let unmanaged: TestGateway;
/** The lines of the `all` scenario (run once, in beforeAll; the tests below read them and the simulators' logs). */
let scenario: Line[];

beforeAll(async () => {
  const generated = await generatePythonStubs();
  stubs = generated.dir;
  removeStubs = generated.remove;
  const fast = { tokensPerSecond: 0, firstTokenMs: 0, defaultLoadMs: 0 };
  const llama = DEFAULT_SIM_MODELS.find((m) => m.name === "llama3.2:latest")!;
  sims.push(await startSimulator(fast), await startSimulator(fast));
  sims.push(await startSimulator({ ...fast, models: [{ ...llama, digest: LLAMA_DIGEST_B3 }] }));
  managed = await startTestGateway(
    sims.map((s) => s.url),
    (config) => {
      config.management.enabled = true;
    },
  );
  unmanaged = await startTestGateway(sims.map((s) => s.url));
  scenario = await python(managed, ["all"]);
});
afterAll(async () => {
  await managed?.close();
  await unmanaged?.close();
  await Promise.all(sims.map((s) => s.close()));
  removeStubs?.();
});

/** Runs fleet_client.py; it exits 0 even when RPCs fail (they are printed), so a non-zero exit is a crash. */
async function python(gateway: TestGateway, commands: string[]): Promise<Line[]> {
  try {
    const { stdout } = await run(PYTHON, [packageFile("test/python/fleet_client.py"), stubs, gateway.target, ...commands], { timeout: 20_000 });
    return stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
  } catch (error) {
    const failed = error as { stderr?: string };
    throw new Error(`python client crashed: ${failed.stderr ?? String(error)}`);
  }
}

/** The scenario's lines for one command, in order. */
function lines(command: string): Line[] {
  return scenario.filter((l) => l.command === command);
}

function line(command: string): Line {
  const found = lines(command);
  expect(found, command).toHaveLength(1);
  return found[0]!;
}

/** What simulator `backend` ("b1".."b3") received on `path`. */
function received(backend: string, method: string, path: string): unknown[] {
  const sim = sims[Number(backend.slice(1)) - 1]!;
  return sim.requests().filter((r) => r.method === method && r.path === path).map((r) => r.body);
}

describe("the whole scenario through the Python stubs", () => {
  it("runs every RPC, and the only errors are the expected ones", () => {
    expect(new Set(scenario.map((l) => l.rpc))).toEqual(
      new Set(["GetVersion", "ListModels", "ShowModel", "Embed", "Generate", "Chat", "LoadModel", "ListRunningModels", "UnloadModel", "CopyModel", "DeleteModel", "PullModel"]),
    );
    expect(scenario.filter((l) => "error" in l).map((l) => `${l.command}: ${l.error}`)).toEqual(["show-missing: NOT_FOUND", "invalid: INVALID_ARGUMENT"]);
  });

  it("GetVersion: the gateway's version and each backend's", () => {
    expect(line("version")).toMatchObject({
      gateway_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      backends: ["b1", "b2", "b3"].map((backend) => ({ backend, version: "0.33.0-sim", reachable: true })),
    });
  });

  it("ListModels: the union with locations, and llama3.2 flagged for its two digests", () => {
    const { models, backends } = line("list-models");
    expect(backends).toEqual(["b1", "b2", "b3"].map((backend) => ({ backend, reachable: true, error: "" })));
    expect(models.map((m: Line) => m.name)).toEqual([...DEFAULT_SIM_MODELS.map((m) => m.name)].sort());
    const llama = models.find((m: Line) => m.name === "llama3.2:latest");
    expect(llama.digest_mismatch).toBe(true);
    expect(llama.locations.map((l: Line) => l.backend)).toEqual(["b1", "b2", "b3"]);
    expect(llama.locations[2].digest).toBe(LLAMA_DIGEST_B3);
    expect(llama.locations[0].digest).not.toBe(LLAMA_DIGEST_B3);
    const minilm = models.find((m: Line) => m.name === "all-minilm:latest");
    expect(minilm).toMatchObject({ digest_mismatch: false, family: "bert" });
    expect(minilm.locations.map((l: Line) => l.backend)).toEqual(["b1", "b2"]);
  });

  it("ShowModel: details from a holder, NOT_FOUND with ErrorInfo for an unknown model", () => {
    expect(line("show")).toMatchObject({
      backend: "b1",
      family: "llama",
      capabilities: ["completion", "tools"],
      has_modified_at: true,
      model_info: { "general.architecture": "llama", "llama.context_length": 131_072 },
    });
    expect(line("show-missing")).toMatchObject({
      error: "NOT_FOUND",
      status: { code: 5, details: [{ type: "ErrorInfo", reason: "MODEL_NOT_FOUND", metadata: { model: "no-such-model", backends: "b1,b2,b3" } }] },
    });
  });

  it("Embed: one vector per input, normalized, shortened to `dimensions` when set", () => {
    const [one, batch] = lines("embed").concat(lines("embed-batch"));
    expect(one).toMatchObject({ inputs: 1, dimensions_sent: false, lengths: [384], norms: [1] });
    expect(batch).toMatchObject({ inputs: 3, dimensions_sent: true, lengths: [64, 64, 64], norms: [1, 1, 1], distinct: 3 });
    // Only b1 and b2 hold all-minilm.
    expect(["b1", "b2"]).toContain(one!.backend);
    expect(["b1", "b2"]).toContain(batch!.backend);
    expect(received(batch!.backend, "POST", "/api/embed")).toContainEqual({ model: "all-minilm", input: ["alpha", "beta", "gamma"], dimensions: 64 });
    expect(received(one!.backend, "POST", "/api/embed")).toContainEqual({ model: "all-minilm", input: ["the quick brown fox"] });
  });

  it("Generate and Chat: a token stream ending with one done message, usage in the trailers", () => {
    for (const command of ["generate", "chat"]) {
      expect(line(command)).toMatchObject({ chunks: 13, done_count: 1, done_reason: "stop", eval_count: 12, trailer_eval_count: "12" });
      expect(line(command).text_length).toBeGreaterThan(0);
    }
  });

  it("an INVALID_ARGUMENT carries grpc-status-details-bin with a BadRequest naming the field", () => {
    expect(line("invalid")).toMatchObject({
      error: "INVALID_ARGUMENT",
      status: { code: 3, details: [{ type: "BadRequest", field_violations: [{ field: "model" }] }] },
    });
    expect(line("invalid").status.message).toBe(line("invalid").details);
  });

  it("LoadModel: count=2 loads on two holders with the Duration keep_alive; ListRunningModels shows them", () => {
    const { results } = line("load");
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).toMatchObject({ ok: true, code: 0, error: "" });
      expect(result.duration_ms).toEqual(expect.any(Number));
      expect(received(result.backend, "POST", "/api/generate")).toContainEqual({ model: "llama3.2", prompt: "", stream: false, keep_alive: 600 });
    }
    const loadedOn = results.map((r: Line) => r.backend).sort();
    const [afterLoad, afterUnload] = lines("running");
    const llamaAfterLoad = afterLoad!.models.filter((m: Line) => m.name === "llama3.2:latest");
    expect(llamaAfterLoad.filter((m: Line) => m.expires_in_s > 500).map((m: Line) => m.backend)).toEqual(loadedOn);
    expect(afterLoad!.backends.every((b: Line) => b.reachable)).toBe(true);
    expect(afterLoad!.models.filter((m: Line) => m.name === "all-minilm:latest").length).toBeGreaterThan(0);
    expect(afterUnload!.models.filter((m: Line) => m.name === "llama3.2:latest")).toEqual([]);
  });

  it("UnloadModel: keep_alive 0 on every backend, one result each", () => {
    expect(line("unload").results).toEqual(
      ["b1", "b2", "b3"].map((backend) => ({ backend, ok: true, code: 0, error: "", duration_ms: null })),
    );
    for (const backend of ["b1", "b2", "b3"]) {
      expect(received(backend, "POST", "/api/generate").at(-1)).toEqual({ model: "llama3.2", prompt: "", stream: false, keep_alive: 0 });
    }
  });

  it("CopyModel on the chosen backends, then DeleteModel everywhere: NOT_FOUND only where there was no copy", () => {
    expect(line("copy").results.map((r: Line) => [r.backend, r.ok])).toEqual([["b1", true], ["b2", true]]);
    expect(received("b1", "POST", "/api/copy")).toEqual([{ source: "llama3.2", destination: "llama-copy" }]);
    expect(received("b2", "POST", "/api/copy")).toEqual([{ source: "llama3.2", destination: "llama-copy" }]);
    expect(received("b3", "POST", "/api/copy")).toEqual([]);
    expect(line("delete").results).toEqual([
      { backend: "b1", ok: true, code: 0, error: "", duration_ms: null },
      { backend: "b2", ok: true, code: 0, error: "", duration_ms: null },
      { backend: "b3", ok: false, code: 5, error: "model 'llama-copy' not found", duration_ms: null },
    ]);
    for (const backend of ["b1", "b2", "b3"]) expect(received(backend, "DELETE", "/api/delete")).toEqual([{ model: "llama-copy" }]);
  });

  it("PullModel: each backend's progress labelled with it, ending with its own done message", () => {
    const pull = line("pull");
    expect(Object.keys(pull.by_backend).sort()).toEqual(["b1", "b2", "b3"]);
    for (const [backend, progress] of Object.entries<Line>(pull.by_backend)) {
      expect(progress.statuses[0], backend).toBe("pulling manifest");
      expect(progress.statuses.at(-1), backend).toBe("success");
      expect(progress.done_at, backend).toEqual([progress.statuses.length - 1]);
      expect(progress.errors, backend).toEqual([]);
      expect(progress.completed_max, backend).toBeGreaterThan(0);
      expect(received(backend, "POST", "/api/pull"), backend).toEqual([{ model: "tinyllama", stream: true }]);
    }
    expect(pull.trailers).toMatchObject({ "ollama-pull-succeeded": "b1,b2,b3", "ollama-pull-failed": "" });
  });
});

it("cancelling a slow PullModel with call.cancel() aborts the pull on every backend", async () => {
  const abortedBefore = sims.map((s) => s.stats().abortedByClient);
  for (const sim of sims) sim.configure({ tokensPerSecond: 10 }); // 13 progress lines: over a second per pull
  try {
    const [cancel] = await python(managed, ["pull-cancel"]);
    expect(cancel).toMatchObject({ rpc: "PullModel", cancelled: true, code: "CANCELLED", seen: ["b1", "b2", "b3"] });
    for (const [i, sim] of sims.entries()) {
      await simIdle(sim, 2_000);
      expect(sim.stats().abortedByClient, `b${i + 1}`).toBe(abortedBefore[i]! + 1);
      expect(sim.requests().filter((r) => r.path === "/api/pull").at(-1)).toMatchObject({ path: "/api/pull", body: { model: "smollm", stream: true } });
      // Cancelled before "writing manifest": nothing was installed.
      const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
      expect(tags.models.map((m) => m.name)).not.toContain("smollm:latest");
    }
  } finally {
    for (const sim of sims) sim.configure({ tokensPerSecond: 0 });
  }
});

it("without management the management RPCs are PERMISSION_DENIED and no backend is asked", async () => {
  const before = sims.map((s) => s.requests().length);
  const output = await python(unmanaged, ["version", "pull", "delete", "copy", "load", "unload"]);
  expect(output[0]).toMatchObject({ rpc: "GetVersion", gateway_version: expect.any(String) });
  expect(output.slice(1).map((l) => l.rpc)).toEqual(["PullModel", "DeleteModel", "CopyModel", "LoadModel", "UnloadModel"]);
  for (const denied of output.slice(1)) {
    expect(denied).toMatchObject({
      error: "PERMISSION_DENIED",
      status: { code: 7, details: [{ type: "ErrorInfo", reason: "MANAGEMENT_DISABLED", metadata: { method: denied.rpc } }] },
    });
  }
  // Nothing that changes a backend reached the simulators (GETs are GetVersion, health checks and catalogue polls).
  for (const [i, sim] of sims.entries()) {
    expect(sim.requests().slice(before[i]).filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }
});
