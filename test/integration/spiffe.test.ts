/**
 * SPIFFE workload identities as credentials, through the real gateway:
 * mutual TLS with client certificates as Istio issues them (URI SAN
 * spiffe://...), and Envoy's x-forwarded-client-cert behind a sidecar.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelCredentials } from "@grpc/grpc-js";
import { createChannel, createClientFactory, Metadata, Status, type Channel } from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { OllamaServiceDefinition, Role } from "../../gen/ollama/v1/ollama.js";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { parseAuthConfig } from "../../src/config/auth-schema.js";
import { createTestPki, type TestPki } from "../support/certs.js";
import { caught, collect, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";

const SEARCH = "spiffe://cluster.local/ns/search/sa/search-svc";
const ETL = "spiffe://cluster.local/ns/batch/sa/etl";
const user = [{ role: Role.ROLE_USER, content: "hi" }];

function authSettings(raw: Record<string, unknown>) {
  const problems: string[] = [];
  const settings = parseAuthConfig({ enabled: true, ...raw }, (p) => problems.push(p));
  if (problems.length > 0) throw new Error(problems.join("; "));
  return settings;
}

const SPIFFE = {
  trust_domains: ["cluster.local"],
  ids: [
    { id: SEARCH, name: "search-svc", tenant: "search", models: ["llama3*"] },
    { id: "spiffe://cluster.local/ns/batch/sa/*", tenant: "batch" },
  ],
};

describe("mutual TLS: the client certificate's SPIFFE ID is the principal", () => {
  let pki: TestPki;
  let fleet: TestFleet;
  const channels: Channel[] = [];

  beforeAll(async () => {
    pki = createTestPki();
    fleet = await startTestFleet({ tokens: 2 }, (config) => {
      config.tls = { certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCaFile: pki.ca.certFile };
      config.auth = authSettings({ spiffe: SPIFFE, api_keys: [{ name: "ops", sha256: hashApiKey("ops-key"), tenant: "platform" }] });
    });
  });
  afterAll(async () => {
    for (const channel of channels) channel.close();
    await fleet.close();
    pki.cleanup();
  });

  function clientWith(cert?: { cert: Buffer; key: Buffer }) {
    const credentials = ChannelCredentials.createSsl(pki.ca.cert, cert?.key ?? null, cert?.cert ?? null);
    const channel = createChannel(fleet.target, credentials);
    channels.push(channel);
    return createClientFactory().use(errorDetailsClientMiddleware).create(OllamaServiceDefinition, channel);
  }
  const lastLine = (method: string) => fleet.logs.records.filter((r) => r.msg === "rpc" && r.method === `/ollama.v1.OllamaService/${method}`).at(-1);

  it("a mapped identity streams, is logged by name, and its model globs apply", async () => {
    const client = clientWith(pki.client(SEARCH));
    const messages = await collect(client.chat({ model: "llama3.2", messages: user }));
    expect(messages.at(-1)?.done).toBe(true);
    expect(lastLine("Chat")).toMatchObject({ principal: "search-svc", tenant: "search", code: "OK" });
    expectStatus(await caught(() => collect(client.chat({ model: "mistral", messages: user }))), Status.PERMISSION_DENIED);
  });

  it("a glob entry names the principal after the SPIFFE ID itself", async () => {
    await clientWith(pki.client(ETL)).getVersion({});
    expect(lastLine("GetVersion")).toMatchObject({ principal: ETL, tenant: "batch", code: "OK" });
  });

  it.each([
    { name: "an identity no entry matches", id: "spiffe://cluster.local/ns/other/sa/x", reason: "matches no auth.spiffe.ids entry" },
    { name: "an untrusted trust domain", id: "spiffe://evil.example/ns/search/sa/search-svc", reason: "trust domain 'evil.example' is not trusted" },
  ])("$name is UNAUTHENTICATED", async ({ id, reason }) => {
    const error = await caught(() => clientWith(pki.client(id)).getVersion({}));
    expectStatus(error, Status.UNAUTHENTICATED);
    expect(errorInfoOf(error).reason).toBe("UNAUTHENTICATED");
    expect(String(lastLine("GetVersion")?.authFailure)).toContain(reason);
  });

  it("the recorded identity cannot be forged through metadata", async () => {
    const client = clientWith(pki.client("spiffe://cluster.local/ns/other/sa/x"));
    const error = await caught(() => client.getVersion({}, { metadata: Metadata({ "x-ollama-grpc-peer-spiffe-id": SEARCH }) }));
    expectStatus(error, Status.UNAUTHENTICATED);
  });

  it("explicit credentials take precedence over the certificate", async () => {
    await clientWith(pki.client(SEARCH)).getVersion({}, { metadata: Metadata({ "x-api-key": "ops-key" }) });
    expect(lastLine("GetVersion")).toMatchObject({ principal: "ops", tenant: "platform" });
  });

  it("a client without a certificate fails the TLS handshake", async () => {
    const error = await caught(() => clientWith().getVersion({}, { signal: AbortSignal.timeout(5_000) }));
    expectStatus(error, Status.UNAVAILABLE);
  });
});

describe("behind an Envoy sidecar: x-forwarded-client-cert", () => {
  const XFCC = `By=spiffe://cluster.local/ns/llm/sa/gateway;Hash=d2a6f1;Subject="";URI=${SEARCH}`;
  let trusting: TestFleet;
  let ignoring: TestFleet;

  beforeAll(async () => {
    trusting = await startTestFleet({ tokens: 2 }, (config) => {
      config.auth = authSettings({ spiffe: { ...SPIFFE, trust_xfcc: true } });
    });
    ignoring = await startTestFleet({ tokens: 2 }, (config) => {
      config.auth = authSettings({ spiffe: SPIFFE });
    });
  });
  afterAll(async () => {
    await trusting.close();
    await ignoring.close();
  });

  it("with trust_xfcc the client's URI is the identity", async () => {
    await trusting.client.getVersion({}, { metadata: Metadata({ "x-forwarded-client-cert": XFCC }) });
    expect(trusting.logs.records.filter((r) => r.msg === "rpc").at(-1)).toMatchObject({ principal: "search-svc", code: "OK" });
  });

  it("without trust_xfcc the header is ignored (anyone could send it)", async () => {
    const error = await caught(() => ignoring.client.getVersion({}, { metadata: Metadata({ "x-forwarded-client-cert": XFCC }) }));
    expectStatus(error, Status.UNAUTHENTICATED);
  });
});
