/**
 * ListModels sees the fleet as one Ollama: the union of three backends'
 * catalogues, who holds what, a digest mismatch flagged, and an unreachable
 * backend reported rather than failing the call. Also through the CLI table.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { formatModelTable } from "../../src/cli/models-command.js";
import { startTestGateway, type TestGateway } from "../support/harness.js";
import { unusedPort } from "../support/ports.js";

const sims: RunningSimulator[] = [];
let gateway: TestGateway;

beforeAll(async () => {
  const llama = DEFAULT_SIM_MODELS.find((m) => m.name === "llama3.2:latest")!;
  const qwen = DEFAULT_SIM_MODELS.find((m) => m.name === "qwen3:latest")!;
  sims.push(await startSimulator({ models: [llama, qwen] }));
  sims.push(await startSimulator({ models: [llama] }));
  sims.push(await startSimulator({ models: [{ ...llama, digest: "f".repeat(64) }] }));
  const dead = `http://127.0.0.1:${await unusedPort()}`;
  gateway = await startTestGateway([...sims.map((s) => s.url), dead]);
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all(sims.map((s) => s.close()));
});

it("returns the union across backends with locations, digest mismatch and unreachable backends", async () => {
  const response = await gateway.client.listModels({});
  expect(response.models.map((m) => m.name)).toEqual(["llama3.2:latest", "qwen3:latest"]);
  const llama = response.models[0]!;
  expect(llama.locations.map((l) => l.backend)).toEqual(["b1", "b2", "b3"]);
  expect(llama.digestMismatch).toBe(true);
  expect(llama.locations[2]!.digest).toBe("f".repeat(64));
  expect(llama.details?.family).not.toBe("");
  expect(llama.size).toBeGreaterThan(0);
  expect(response.models[1]).toMatchObject({ name: "qwen3:latest", digestMismatch: false });
  expect(response.models[1]!.locations.map((l) => l.backend)).toEqual(["b1"]);
  expect(response.backends.map((b) => [b.backend, b.reachable])).toEqual([
    ["b1", true],
    ["b2", true],
    ["b3", true],
    ["b4", false],
  ]);
  expect(response.backends[3]!.error).toMatch(/ECONNREFUSED/);

  const table = formatModelTable(response);
  expect(table).toMatch(/^NAME\s+SIZE\s+PARAMS\s+QUANT\s+BACKENDS$/m);
  expect(table).toMatch(/^llama3\.2:latest .* b1,b2,b3  \(digests differ!\)$/m);
  expect(table).toContain("2 models on 3/4 backends");
});

it("reports a backend that accepts the connection but never answers, after metadata_timeout", async () => {
  const hanging = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  const port = (hanging.address() as { port: number }).port;
  const slow = await startTestGateway([sims[0]!.url, `http://127.0.0.1:${port}`], (config) => {
    config.upstream.metadataTimeoutMs = 200;
  });
  try {
    const startedAt = performance.now();
    const response = await slow.client.listModels({});
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    expect(response.models.map((m) => m.name)).toEqual(["llama3.2:latest", "qwen3:latest"]);
    expect(response.backends[1]).toEqual({ backend: "b2", reachable: false, error: "no answer within 200 ms" });
  } finally {
    await slow.close();
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  }
});
