/**
 * Several clusters behind one gateway: a call goes to the first cluster whose
 * model patterns match (even when another cluster's backend also has the
 * model), each cluster keeps its own policy, fleet-wide calls span every
 * cluster, and a model no cluster serves is NOT_FOUND without touching a
 * backend. Configured from a YAML file, as `clusters` can only be.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { formatStatus } from "../../src/cli/status-command.js";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/schema.js";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { caught, collect, startTestGateway, type TestGateway } from "../support/harness.js";
import { expectStatus } from "../support/errors.js";

const model = (name: string) => DEFAULT_SIM_MODELS.find((m) => m.name === name)!;
const sims: RunningSimulator[] = [];
let gateway: TestGateway;
let dir: string;

function writeConfig(text: string): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ollama-grpc-clusters-"));
  const chatModels = [model("llama3.2:latest"), model("qwen3:latest")];
  sims.push(await startSimulator({ models: chatModels }), await startSimulator({ models: chatModels }));
  sims.push(await startSimulator({ models: [model("all-minilm:latest"), model("llama3.2:latest")] }));
  const file = writeConfig(`
clusters:
  - name: gpu
    models: ["llama3*", "qwen3*"]
    backends:
      - { name: gpu-1, url: "${sims[0]!.url}", max_concurrency: 2 }
      - { name: gpu-2, url: "${sims[1]!.url}", max_concurrency: 2 }
  - name: cpu
    models: ["all-minilm*"]
    policy: round_robin
    backends:
      - { name: cpu-1, url: "${sims[2]!.url}", max_concurrency: 4 }
`);
  const loaded = loadConfig({ config: file, listen: "127.0.0.1:0" }, {});
  gateway = await startTestGateway([], (config) => {
    config.clusters = loaded.clusters;
    config.admin.listen = "127.0.0.1:0";
  });
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

it("routes each model to its cluster, even when another cluster's backend has it too", async () => {
  const backends = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const messages = await collect(gateway.client.chat({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: `hi ${i}` }] }));
    backends.add(messages.at(-1)!.backend);
  }
  expect([...backends].every((b) => b.startsWith("gpu-"))).toBe(true);
  expect(sims[2]!.requests().filter((r) => r.path === "/api/chat")).toEqual([]); // cpu-1 has llama3.2 but is not in its cluster
  const embedding = await gateway.client.embed({ model: "all-minilm", input: ["x"] });
  expect(embedding.backend).toBe("cpu-1");
});

it("answers NOT_FOUND for a model no cluster serves, without asking any backend", async () => {
  const before = sims.map((s) => s.stats().started);
  expectStatus(await caught(() => collect(gateway.client.chat({ model: "phi4", messages: [{ role: Role.ROLE_USER, content: "x" }] }))), Status.NOT_FOUND);
  expect(sims.map((s) => s.stats().started)).toEqual(before);
});

it("answers fleet-wide calls for every cluster's backends", async () => {
  const catalogue = await gateway.client.listModels({});
  expect(catalogue.backends.map((b) => b.backend)).toEqual(["gpu-1", "gpu-2", "cpu-1"]);
  expect(catalogue.models.find((m) => m.name === "llama3.2:latest")?.locations.map((l) => l.backend)).toEqual(["gpu-1", "gpu-2", "cpu-1"]);
  const versions = await gateway.client.getVersion({});
  expect(versions.backends).toHaveLength(3);
});

it("shows each cluster with its policy on the admin endpoint", async () => {
  const status = (await (await fetch(`http://127.0.0.1:${gateway.gateway.adminPort}/status`)).json()) as Parameters<typeof formatStatus>[0];
  expect(status.clusters.map((c) => [c.name, c.policy, c.endpoints.map((e) => e.name)])).toEqual([
    ["gpu", "ollama", ["gpu-1", "gpu-2"]],
    ["cpu", "round_robin", ["cpu-1"]],
  ]);
  const text = formatStatus(status);
  expect(text).toContain("cluster gpu (models llama3*, qwen3*)");
  expect(text).toContain("cluster cpu (models all-minilm*)");
});

it.each([
  ["a backend name used by two clusters", `clusters:\n  - { name: a, backends: [{ name: x, url: "http://h:1" }] }\n  - { name: b, backends: [{ name: x, url: "http://h:2" }] }\n`, /clusters\[1\]\.backends: backend name "x" is used by another cluster/],
  ["a static cluster without backends", `clusters:\n  - { name: a, models: ["*"] }\n`, /clusters\[0\]\.backends: a cluster with static discovery needs backends/],
  ["an empty model pattern list", `clusters:\n  - { name: a, models: [], backends: [{ url: "http://h:1" }] }\n`, /clusters\[0\]\.models: expected a non-empty list/],
  ["two clusters with one name", `clusters:\n  - { name: a, backends: [{ name: x, url: "http://h:1" }] }\n  - { name: a, backends: [{ name: y, url: "http://h:2" }] }\n`, /clusters\[1\]\.name: duplicate cluster name "a"/],
])("rejects %s", (_name, yaml, message) => {
  const error = (() => {
    try {
      loadConfig({ config: writeConfig(yaml) }, {});
    } catch (e) {
      return e;
    }
    throw new Error("expected a ConfigError");
  })();
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toMatch(message);
});
