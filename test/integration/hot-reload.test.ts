/**
 * Hot reload of the config file: a backend change applies without a restart,
 * streams already running on a removed backend finish there (it drains, then
 * disappears), new calls go to the new list, an invalid file is ignored, and
 * settings that need a restart are reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createChannel, createClientFactory } from "nice-grpc";
import { OllamaServiceDefinition, Role } from "../../gen/ollama/v1/ollama.js";
import { startGateway, type Gateway } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { watchConfigFile, type ConfigWatcher } from "../../src/config/watch.js";
import { createLogger } from "../../src/observability/logger.js";
import { startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { collect, nextSimRequest } from "../support/harness.js";
import { createLogSink } from "../support/log-sink.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function yaml(backends: Array<[string, string]>, queueLength = 256): string {
  return [
    "listen: 127.0.0.1:0",
    "admin: { listen: '' }",
    `queue: { max_length: ${queueLength} }`,
    "backends:",
    ...backends.map(([name, url]) => `  - { name: ${name}, url: "${url}", max_concurrency: 4 }`),
    "",
  ].join("\n");
}

it("applies backend changes live; running streams finish on the removed backend", async () => {
  const sims: RunningSimulator[] = [];
  for (let i = 0; i < 2; i++) sims.push(await startSimulator({ tokensPerSecond: 40, tokens: 20, firstTokenMs: 0, defaultLoadMs: 0 }));
  cleanups.push(() => Promise.all(sims.map((s) => s.close())).then(() => undefined));
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-reload-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, yaml([["old", sims[0]!.url]]));

  const gateway: Gateway = await startGateway(loadConfig({ config: file }, {}), createLogger("warn", createLogSink()));
  cleanups.push(() => gateway.close());
  const reloads: Array<{ pending?: string[]; error?: unknown }> = [];
  let notify: (() => void) | undefined;
  const nextReload = () => new Promise<void>((resolve) => (notify = resolve));
  const watcher: ConfigWatcher = watchConfigFile(
    file,
    () => loadConfig({ config: file }, {}),
    (next: Config) => {
      reloads.push({ pending: gateway.reload(next) });
      notify?.();
    },
    (error) => {
      reloads.push({ error });
      notify?.();
    },
  );
  cleanups.push(() => watcher.close());
  const channel = createChannel(`127.0.0.1:${gateway.port}`);
  cleanups.push(() => channel.close());
  const client = createClientFactory().create(OllamaServiceDefinition, channel);
  const chat = { model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "hi" }] };

  // A stream running on "old" when the file drops it.
  const started = nextSimRequest(sims[0]!);
  const running = collect(client.chat(chat));
  await started;
  let reloaded = nextReload();
  writeFileSync(file, yaml([["new", sims[1]!.url]]));
  await reloaded;
  expect(reloads.at(-1)).toEqual({ pending: [] });
  const endpoints = () => gateway.fleet.status().endpoints as Array<{ name: string; draining: boolean }>;
  expect(endpoints()).toEqual(expect.arrayContaining([expect.objectContaining({ name: "old", draining: true }), expect.objectContaining({ name: "new" })]));

  const after = await collect(client.chat(chat));
  expect(after.at(-1)!.backend).toBe("new");
  const finished = await running;
  expect(finished.at(-1)).toMatchObject({ done: true, backend: "old" }); // untouched by the reload
  expect(endpoints().map((e) => e.name)).toEqual(["new"]); // drained, then gone

  // An invalid file is reported and ignored.
  reloaded = nextReload();
  writeFileSync(file, "backends: [ { url: ftp://nope } ]\n");
  await reloaded;
  expect(String(reloads.at(-1)?.error)).toMatch(/backends\[0\]\.url/);
  expect((await collect(client.chat(chat))).at(-1)!.backend).toBe("new");

  // Other settings are reported as needing a restart.
  reloaded = nextReload();
  writeFileSync(file, yaml([["new", sims[1]!.url]], 8));
  await reloaded;
  expect(reloads.at(-1)).toEqual({ pending: ["queue"] });
});

it("reloads a file mounted from a ConfigMap: Kubernetes swaps the ..data symlink, never the file", async () => {
  const { mkdirSync, renameSync, symlinkSync } = await import("node:fs");
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-configmap-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // The layout the kubelet writes: gateway.yaml -> ..data/gateway.yaml, ..data -> ..2026_11_21_v1
  const version = (name: string, backends: Array<[string, string]>) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "gateway.yaml"), yaml(backends));
  };
  version("..v1", [["old", "http://127.0.0.1:1"]]);
  symlinkSync("..v1", join(dir, "..data"));
  symlinkSync("..data/gateway.yaml", join(dir, "gateway.yaml"));
  const file = join(dir, "gateway.yaml");
  let notify: ((config: Config) => void) | undefined;
  const reloaded = new Promise<Config>((resolve) => (notify = resolve));
  const watcher = watchConfigFile(file, () => loadConfig({ config: file }, {}), (config) => notify?.(config), () => undefined);
  cleanups.push(() => watcher.close());
  version("..v2", [["new", "http://127.0.0.1:2"]]);
  symlinkSync("..v2", join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data")); // the kubelet's atomic swap
  expect((await reloaded).backends.map((b) => b.name)).toEqual(["new"]);
});
