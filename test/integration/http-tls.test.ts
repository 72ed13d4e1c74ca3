/**
 * TLS on the HTTP front doors, from the same files as the gRPC listener:
 * with a client CA it is mutual TLS on both listeners, a client without a
 * certificate is refused at the handshake, and the SPIFFE ID of a verified
 * client certificate authenticates an HTTP call exactly as it does a gRPC
 * one (the `openai` and `ollama` clients over HTTPS, only their transport
 * given the certificates).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, fetch as undiciFetch } from "undici";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { parseAuthConfig } from "../../src/config/auth-schema.js";
import { createTestPki, type Pem, type TestPki } from "../support/certs.js";
import { startTestFleet, type TestFleet } from "../support/harness.js";

const SEARCH = "spiffe://cluster.local/ns/search/sa/search-svc";
const STRANGER = "spiffe://cluster.local/ns/other/sa/x";

let pki: TestPki;
let fleet: TestFleet;
let base: string;
const agents: Agent[] = [];

beforeAll(async () => {
  pki = createTestPki();
  fleet = await startTestFleet({ tokens: 3 }, (config) => {
    config.http.listen = "127.0.0.1:0";
    config.tls = { certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCaFile: pki.ca.certFile };
    const problems: string[] = [];
    config.auth = parseAuthConfig(
      { enabled: true, spiffe: { trust_domains: ["cluster.local"], ids: [{ id: SEARCH, name: "search-svc", tenant: "search" }] } },
      (p) => problems.push(p),
    );
    expect(problems).toEqual([]);
  });
  base = `https://127.0.0.1:${fleet.gateway.httpPort}`;
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await fleet?.close();
  pki?.cleanup();
});

/** An undici dispatcher trusting the test CA, presenting `client` when given. */
function agentWith(client?: Pem): Agent {
  const agent = new Agent({ connect: { ca: pki.ca.cert, ...(client === undefined ? {} : { cert: client.cert, key: client.key }) } });
  agents.push(agent);
  return agent;
}

describe("HTTPS front doors with mutual TLS", () => {
  it("a client without a certificate is refused at the handshake", async () => {
    await expect(undiciFetch(`${base}/api/version`, { dispatcher: agentWith() })).rejects.toThrow();
  });

  it("a verified SPIFFE ID authenticates an OpenAI client, and is logged as the principal", async () => {
    // Credentials a client sends win over its certificate (as on gRPC), and the SDK always sends its API key:
    // a workload that authenticates by certificate removes the header.
    const openai = new OpenAI({
      baseURL: `${base}/v1`,
      apiKey: "unused-with-mtls",
      defaultHeaders: { Authorization: null },
      maxRetries: 0,
      fetchOptions: { dispatcher: agentWith(pki.client(SEARCH)) } as never,
    });
    const completion = await openai.chat.completions.create({ model: "llama3.2", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(fleet.logs.records.filter((r) => r.msg === "rpc").at(-1)).toMatchObject({ door: "openai", principal: "search-svc", tenant: "search", code: "OK" });
  });

  it("an identity the config does not map gets 401 from the Ollama client", async () => {
    const dispatcher = agentWith(pki.client(STRANGER));
    const ollama = new Ollama({ host: base, fetch: ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as never });
    const error = await ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResponseError", status_code: 401 });
  });

  it("a client-sent peer-identity header is not trusted", async () => {
    const response = await undiciFetch(`${base}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3.2", messages: [{ role: "user", content: "hi" }], stream: false }),
      headers: { "x-ollama-grpc-peer-spiffe-id": SEARCH },
      dispatcher: agentWith(pki.client(STRANGER)),
    });
    expect(response.status).toBe(401);
  });
});
