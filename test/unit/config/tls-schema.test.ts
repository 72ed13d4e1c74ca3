import { describe, expect, it } from "vitest";
import { DEFAULT_TLS_REFRESH_MS, parseTlsConfig, type TlsSettings } from "../../../src/config/tls-schema.js";

function parse(raw: unknown): { settings: TlsSettings | undefined; problems: string[] } {
  const problems: string[] = [];
  return { settings: parseTlsConfig(raw, (p) => problems.push(p)), problems };
}

describe("parseTlsConfig", () => {
  const files = { cert_file: "/tls/tls.crt", key_file: "/tls/tls.key" };

  it.each([
    { name: "absent", raw: undefined, settings: undefined },
    { name: "null", raw: null, settings: undefined },
    {
      name: "server files only: refresh every minute by default",
      raw: files,
      settings: { certFile: "/tls/tls.crt", keyFile: "/tls/tls.key", clientCaFile: undefined, refreshIntervalMs: DEFAULT_TLS_REFRESH_MS },
    },
    {
      name: "mutual, with a refresh interval",
      raw: { ...files, client_ca_file: "/tls/ca.crt", refresh_interval: "15s" },
      settings: { certFile: "/tls/tls.crt", keyFile: "/tls/tls.key", clientCaFile: "/tls/ca.crt", refreshIntervalMs: 15_000 },
    },
  ])("$name", ({ raw, settings }) => {
    expect(parse(raw)).toStrictEqual({ settings, problems: [] });
  });

  it.each([
    { name: "a zero refresh interval", raw: { ...files, refresh_interval: "0" }, problem: "tls.refresh_interval: must be greater than 0" },
    { name: "a refresh interval that is not a duration", raw: { ...files, refresh_interval: 60 }, problem: "tls.refresh_interval: expected a duration such as 500ms, 30s, 5m or 0, got 60" },
    { name: "an unknown key", raw: { ...files, ca_file: "/x" }, problem: "tls.ca_file: unknown setting (expected one of cert_file, key_file, client_ca_file, refresh_interval)" },
    { name: "a missing key file", raw: { cert_file: "/tls/tls.crt" }, problem: "tls.key_file: expected a non-empty string, got nothing" },
  ])("reports $name", ({ raw, problem }) => {
    expect(parse(raw).problems).toEqual([problem]);
  });
});
