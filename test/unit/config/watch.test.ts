import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/schema.js";
import { settingsNeedingRestart } from "../../../src/config/watch.js";

const base = (): Config => {
  const config = loadConfig({ listen: "127.0.0.1:50051", backends: ["a=http://127.0.0.1:11434"] }, {});
  config.tls = { certFile: "/tls/tls.crt", keyFile: "/tls/tls.key", clientCaFile: undefined, refreshIntervalMs: 60_000 };
  return config;
};

describe("settingsNeedingRestart", () => {
  it.each<{ name: string; change: (config: Config) => void; expected: string[] }>([
    { name: "nothing changed", change: () => {}, expected: [] },
    { name: "the backend list (applied live)", change: (c) => (c.backends = [{ ...c.backends[0]!, url: "http://127.0.0.1:11435" }]), expected: [] },
    { name: "the HTTP listener", change: (c) => (c.http = { ...c.http, listen: "0.0.0.0:11434" }), expected: ["http"] },
    { name: "an HTTP door switch", change: (c) => (c.http = { ...c.http, openaiApi: false }), expected: ["http"] },
    { name: "transport keepalive", change: (c) => (c.transport = { ...c.transport, keepaliveTimeMs: 30_000 }), expected: ["transport"] },
    { name: "transport connection age", change: (c) => (c.transport = { ...c.transport, maxConnectionAgeMs: 1_800_000 }), expected: ["transport"] },
    { name: "a TLS file path (the contents reload live, the path does not)", change: (c) => (c.tls = { ...c.tls!, certFile: "/other/tls.crt" }), expected: ["tls"] },
    { name: "mutual TLS switched on", change: (c) => (c.tls = { ...c.tls!, clientCaFile: "/tls/ca.crt" }), expected: ["tls"] },
    { name: "the TLS refresh interval", change: (c) => (c.tls = { ...c.tls!, refreshIntervalMs: 5_000 }), expected: ["tls"] },
    { name: "TLS switched off", change: (c) => (c.tls = undefined), expected: ["tls"] },
  ])("$name", ({ change, expected }) => {
    const after = base();
    change(after);
    expect(settingsNeedingRestart(base(), after)).toEqual(expected);
  });
});
