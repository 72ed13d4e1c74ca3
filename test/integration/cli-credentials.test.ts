/**
 * The CLI against a gateway with auth and TLS: credentials and certificates
 * come from OLLAMA_GRPC_* environment variables (never flags, so they stay
 * out of shell history and `ps`). Runs the compiled CLI (make test builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { parseAuthConfig } from "../../src/config/auth-schema.js";
import { createTestPki, type TestPki } from "../support/certs.js";
import { runCli } from "../support/cli-run.js";
import { startTestFleet, type TestFleet } from "../support/harness.js";

const KEY = "cli-key-77e1";
const CLI_ENV = ["OLLAMA_GRPC_API_KEY", "OLLAMA_GRPC_TOKEN", "OLLAMA_GRPC_TLS_CA", "OLLAMA_GRPC_TLS_CERT", "OLLAMA_GRPC_TLS_KEY"];

/** Runs the CLI with exactly the OLLAMA_GRPC_* credential variables given. */
function cli(args: string[], env: Record<string, string>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CLI_ENV.includes(name)));
  return runCli(args, { env: { ...base, ...env } });
}

function auth(raw: Record<string, unknown>) {
  const problems: string[] = [];
  const settings = parseAuthConfig({ enabled: true, ...raw }, (p) => problems.push(p));
  if (problems.length > 0) throw new Error(problems.join("; "));
  return settings;
}

describe("ollama-grpc with credentials from the environment", () => {
  let pki: TestPki;
  let plain: TestFleet;
  let mutual: TestFleet;

  beforeAll(async () => {
    pki = createTestPki();
    plain = await startTestFleet({ tokens: 2 }, (config) => {
      config.auth = auth({ api_keys: [{ name: "cli", sha256: hashApiKey(KEY), tenant: "t" }] });
    });
    mutual = await startTestFleet({ tokens: 2 }, (config) => {
      config.tls = { certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCaFile: pki.ca.certFile };
      config.auth = auth({ spiffe: { ids: [{ id: "spiffe://cluster.local/ns/dev/sa/*", tenant: "dev" }] } });
    });
  });
  afterAll(async () => {
    await plain.close();
    await mutual.close();
    pki.cleanup();
  });

  it("OLLAMA_GRPC_API_KEY authenticates; without it the call is UNAUTHENTICATED", async () => {
    const ok = await cli(["chat", "--target", plain.target, "--model", "llama3.2", "hi"], { OLLAMA_GRPC_API_KEY: KEY });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.length).toBeGreaterThan(0);
    const denied = await cli(["versions", "--target", plain.target], {});
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("UNAUTHENTICATED");
  });

  it("OLLAMA_GRPC_TLS_CA/CERT/KEY: mutual TLS with a SPIFFE client certificate", async () => {
    const client = pki.client("spiffe://cluster.local/ns/dev/sa/alice");
    const ok = await cli(["versions", "--target", mutual.target], {
      OLLAMA_GRPC_TLS_CA: pki.ca.certFile,
      OLLAMA_GRPC_TLS_CERT: client.certFile,
      OLLAMA_GRPC_TLS_KEY: client.keyFile,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const line = mutual.logs.records.filter((r) => r.msg === "rpc").at(-1);
    expect(line).toMatchObject({ principal: "spiffe://cluster.local/ns/dev/sa/alice", code: "OK" });
    const noCert = await cli(["versions", "--target", mutual.target, "--deadline", "5s"], { OLLAMA_GRPC_TLS_CA: pki.ca.certFile });
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toContain("UNAVAILABLE");
  });
});
