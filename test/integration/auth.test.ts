/**
 * The auth middleware on a real nice-grpc server (127.0.0.1:0) in front of a
 * stub OllamaService, in the gateway's order (error details outside auth),
 * with health registered outside the chain: statuses and ErrorInfo as a
 * client sees them, principals as the handlers see them.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type KeyLike } from "jose";
import { createChannel, createClient, createClientFactory, createServer, Metadata, Status, type Channel, type Server } from "nice-grpc";
import { errorDetailsClientMiddleware, errorDetailsServerMiddleware } from "nice-grpc-error-details";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OllamaServiceDefinition, type OllamaServiceClient, type OllamaServiceImplementation } from "../../gen/ollama/v1/ollama.js";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { Authenticator } from "../../src/auth/authenticator.js";
import { parseAuthConfig } from "../../src/config/auth-schema.js";
import { authMiddleware, type PrincipalContext } from "../../src/middleware/auth.js";
import { collect, caught } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";
import { AUDIENCE, ISSUER, NOW_S, claims, sign } from "../unit/auth/fixtures.js";

const ADMIN_KEY = "it-admin-key-7c2f";
const LLAMA_KEY = "it-llama-key-91ab";

/** Answers that show which principal the handler saw. */
const service: OllamaServiceImplementation<PrincipalContext> = {
  async *generate(request, { principal }) {
    yield { model: request.model, response: `hello ${principal.name}@${principal.tenant}` };
    yield { model: request.model, done: true };
  },
  async *chat(request) {
    yield { model: request.model, done: true };
  },
  listModels: async () => ({ models: [{ name: "llama3.2:latest" }, { name: "mistral:latest" }], backends: [{ backend: "b1", reachable: true }] }),
  embed: async (request) => ({ model: request.model }),
  showModel: async () => ({}),
  listRunningModels: async () => ({ models: [{ name: "mistral:latest", backend: "b1" }] }),
  async *pullModel() {
    yield { backend: "b1", status: "success" };
  },
  deleteModel: async () => ({ results: [] }),
  copyModel: async () => ({ results: [] }),
  loadModel: async () => ({ results: [] }),
  unloadModel: async () => ({ results: [] }),
  getVersion: async (_request, { principal }) => ({ gatewayVersion: `test as ${principal.name}` }),
};

let dir: string;
let server: Server;
let channel: Channel;
let client: OllamaServiceClient;
let signingKey: KeyLike;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "auth-it-"));
  const pair = await generateKeyPair("ES256");
  signingKey = pair.privateKey;
  await writeFile(join(dir, "jwks.json"), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] }));
  const problems: string[] = [];
  const settings = parseAuthConfig(
    {
      enabled: true,
      api_keys: [
        { name: "ops", sha256: hashApiKey(ADMIN_KEY), tenant: "ops", scopes: ["admin"] },
        { name: "llama-team", sha256: hashApiKey(LLAMA_KEY), tenant: "team-a", models: ["llama3*"] },
      ],
      jwt: { jwks_file: join(dir, "jwks.json"), issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"] },
      open_methods: ["/ollama.v1.OllamaService/GetVersion"],
    },
    (text) => problems.push(text),
  );
  expect(problems).toEqual([]);
  const authenticator = await Authenticator.create(settings, { env: {}, now: () => NOW_S * 1000 });

  server = createServer();
  server.with(errorDetailsServerMiddleware).with(authMiddleware(authenticator, settings)).add(OllamaServiceDefinition, service);
  server.add(HealthDefinition, HealthServiceImpl(HealthState()));
  const port = await server.listen("127.0.0.1:0");
  channel = createChannel(`127.0.0.1:${port}`);
  client = createClientFactory().use(errorDetailsClientMiddleware).create(OllamaServiceDefinition, channel);
});

afterAll(async () => {
  channel?.close();
  await server?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const withKey = (key: string) => ({ metadata: Metadata({ "x-api-key": key }) });
const withToken = (token: string) => ({ metadata: Metadata({ authorization: `Bearer ${token}` }) });

describe("auth over the wire", () => {
  it("health stays open", async () => {
    const health = createClient(HealthDefinition, channel);
    expect(await health.check({ service: "" })).toEqual({ status: 1 });
  });

  it("an open method needs no credentials and runs as anonymous", async () => {
    expect(await client.getVersion({})).toMatchObject({ gatewayVersion: "test as anonymous" });
  });

  it("no credentials: UNAUTHENTICATED with ErrorInfo UNAUTHENTICATED", async () => {
    const error = await caught(() => collect(client.generate({ model: "llama3.2" })));
    expectStatus(error, Status.UNAUTHENTICATED);
    expect(errorInfoOf(error)).toMatchObject({ reason: "UNAUTHENTICATED", domain: "ollama-grpc-gateway", metadata: { method: "Generate" } });
  });

  it("an API key streams, and the handler sees its principal", async () => {
    const messages = await collect(client.generate({ model: "llama3.2" }, withKey(LLAMA_KEY)));
    expect(messages.map((m) => m.response)).toEqual(["hello llama-team@team-a", ""]);
  });

  it("a wrong API key is UNAUTHENTICATED and the error does not echo it", async () => {
    const error = await caught(() => client.listModels({}, withKey(`${LLAMA_KEY}-wrong`)));
    expectStatus(error, Status.UNAUTHENTICATED);
    expect(JSON.stringify(error) + String(error)).not.toContain(LLAMA_KEY);
  });

  it("a JWT from the JWKS file authenticates; an expired one is TOKEN_EXPIRED", async () => {
    const valid = await sign(claims({ sub: "carol", tenant: "team-c" }), signingKey, "ES256", "k1");
    const messages = await collect(client.generate({ model: "mistral" }, withToken(valid)));
    expect(messages[0]?.response).toBe("hello carol@team-c");
    const expired = await sign(claims({ exp: NOW_S - 600 }), signingKey, "ES256", "k1");
    const error = await caught(() => collect(client.generate({ model: "mistral" }, withToken(expired))));
    expectStatus(error, Status.UNAUTHENTICATED);
    expect(errorInfoOf(error).reason).toBe("TOKEN_EXPIRED");
  });

  it("a model outside the globs: PERMISSION_DENIED / MODEL_NOT_ALLOWED naming model and principal", async () => {
    const error = await caught(() => collect(client.chat({ model: "mistral" }, withKey(LLAMA_KEY))));
    expectStatus(error, Status.PERMISSION_DENIED);
    expect(errorInfoOf(error)).toMatchObject({ reason: "MODEL_NOT_ALLOWED", metadata: { method: "Chat", model: "mistral", principal: "llama-team" } });
  });

  it("management needs the admin scope", async () => {
    const error = await caught(() => collect(client.pullModel({ model: "llama3.2" }, withKey(LLAMA_KEY))));
    expectStatus(error, Status.PERMISSION_DENIED);
    expect(errorInfoOf(error).reason).toBe("ADMIN_SCOPE_REQUIRED");
    expect(await collect(client.pullModel({ model: "mistral" }, withKey(ADMIN_KEY)))).toHaveLength(1);
    expect(await client.copyModel({ source: "mistral", destination: "mistral-copy" }, withKey(ADMIN_KEY))).toEqual({ results: [] });
  });

  it("listings are filtered to the principal's models", async () => {
    expect((await client.listModels({}, withKey(LLAMA_KEY))).models.map((m) => m.name)).toEqual(["llama3.2:latest"]);
    expect((await client.listModels({}, withKey(ADMIN_KEY))).models.map((m) => m.name)).toEqual(["llama3.2:latest", "mistral:latest"]);
    expect((await client.listRunningModels({}, withKey(LLAMA_KEY))).models).toEqual([]);
  });
});
