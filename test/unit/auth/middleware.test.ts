/**
 * The auth middleware called directly with a fake `next`: which calls get
 * through, with which principal, and what each refusal looks like.
 */
import { Metadata, Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import { RichServerError, type ErrorInfo } from "nice-grpc-error-details";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiKeyStore, hashApiKey } from "../../../src/auth/api-keys.js";
import { AuthError, Authenticator } from "../../../src/auth/authenticator.js";
import { JwtVerifier } from "../../../src/auth/jwt.js";
import type { Principal } from "../../../src/auth/principal.js";
import type { ApiKeySettings } from "../../../src/config/auth-schema.js";
import { authMiddleware, type PrincipalContext } from "../../../src/middleware/auth.js";
import type { CallRecord } from "../../../src/service/call-record.js";
import { NOW_S, SECRET_ENV, claims, hs256, jwtSettings, now } from "./fixtures.js";

const KEYS = { admin: "k-admin-000", llama: "k-llama-000", llamaAdmin: "k-llama-admin-000", pinned: "k-pinned-000" } as const;
const ENTRIES: ApiKeySettings[] = [
  { name: "admin", sha256: hashApiKey(KEYS.admin), tenant: "ops", scopes: ["admin"], models: [] },
  { name: "llama", sha256: hashApiKey(KEYS.llama), tenant: "team-a", scopes: ["read"], models: ["llama3*"] },
  { name: "llama-admin", sha256: hashApiKey(KEYS.llamaAdmin), tenant: "team-a", scopes: ["admin"], models: ["llama3*"] },
  { name: "pinned", sha256: hashApiKey(KEYS.pinned), tenant: "team-b", scopes: [], models: ["llama3.2:latest"] },
];
const OPTIONS = { openMethods: ["/ollama.v1.OllamaService/GetVersion"], adminScope: "admin" };

let authenticator: Authenticator;
beforeAll(async () => {
  authenticator = new Authenticator(new ApiKeyStore(ENTRIES), await JwtVerifier.create(jwtSettings({ type: "secret", env: "AUTH_TEST_SECRET" }), { env: SECRET_ENV, now }));
});

interface Outcome {
  /** The context `next` received, when the call got through. */
  passed?: CallContext & PrincipalContext & { callRecord?: CallRecord };
  returned?: unknown;
  yielded: unknown[];
  error?: RichServerError;
  record: CallRecord;
}

/** Runs one call through the middleware; `next` answers `response` (or streams `stream`). */
async function run(
  method: string,
  request: unknown,
  metadata: Record<string, string>,
  answer: { response?: unknown; stream?: unknown[] } = {},
  auth: Authenticator = authenticator,
): Promise<Outcome> {
  const record: CallRecord = { chunksOut: 0 };
  const outcome: Outcome = { yielded: [], record };
  const responseStream = answer.stream !== undefined;
  const call = {
    method: { path: `/ollama.v1.OllamaService/${method}`, requestStream: false, responseStream, options: {} },
    requestStream: false,
    request,
    responseStream,
    async *next(_request: unknown, context: CallContext & PrincipalContext) {
      outcome.passed = context;
      for (const message of answer.stream ?? []) yield message;
      return answer.response;
    },
  } as unknown as ServerMiddlewareCall<unknown, unknown, PrincipalContext>;
  const context = {
    metadata: Metadata(metadata),
    peer: "ipv4:127.0.0.1:1",
    header: Metadata(),
    sendHeader() {},
    trailer: Metadata(),
    signal: new AbortController().signal,
    callRecord: record,
  };
  const generator = authMiddleware(auth, OPTIONS)(call, context);
  try {
    for (;;) {
      const step = await generator.next();
      if (step.done) {
        outcome.returned = step.value;
        break;
      }
      outcome.yielded.push(step.value);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(RichServerError);
    outcome.error = error as RichServerError;
  }
  return outcome;
}

function errorInfo(error: RichServerError | undefined): ErrorInfo | undefined {
  return error?.extra.find((d) => d.$type === "google.rpc.ErrorInfo") as ErrorInfo | undefined;
}

const key = (name: keyof typeof KEYS) => ({ "x-api-key": KEYS[name] });

describe("auth middleware decisions", () => {
  type Row = {
    name: string;
    method: string;
    request?: Record<string, unknown>;
    metadata: () => Promise<Record<string, string>> | Record<string, string>;
    expected: { principal: string } | { code: Status; reason: string; metadata?: Record<string, string> };
  };
  const rows: Row[] = [
    { name: "no credentials", method: "Generate", request: { model: "llama3.2" }, metadata: () => ({}), expected: { code: Status.UNAUTHENTICATED, reason: "UNAUTHENTICATED", metadata: { method: "Generate" } } },
    { name: "wrong API key", method: "Generate", request: { model: "llama3.2" }, metadata: () => ({ "x-api-key": "k-nope" }), expected: { code: Status.UNAUTHENTICATED, reason: "UNAUTHENTICATED" } },
    {
      name: "expired token",
      method: "Chat",
      request: { model: "llama3.2" },
      metadata: async () => ({ authorization: `Bearer ${await hs256(claims({ exp: NOW_S - 3600 }))}` }),
      expected: { code: Status.UNAUTHENTICATED, reason: "TOKEN_EXPIRED" },
    },
    { name: "valid token", method: "Chat", request: { model: "mistral" }, metadata: async () => ({ authorization: `Bearer ${await hs256()}` }), expected: { principal: "alice" } },
    {
      name: "token whose models claim excludes the model",
      method: "Chat",
      request: { model: "mistral" },
      metadata: async () => ({ authorization: `Bearer ${await hs256(claims({ models: ["gemma*"] }))}` }),
      expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED", metadata: { method: "Chat", model: "mistral", principal: "alice" } },
    },
    { name: "open method without credentials", method: "GetVersion", request: {}, metadata: () => ({}), expected: { principal: "anonymous" } },
    { name: "allowed model glob", method: "Generate", request: { model: "llama3.2:1b" }, metadata: () => key("llama"), expected: { principal: "llama" } },
    {
      name: "denied model glob",
      method: "Generate",
      request: { model: "mistral" },
      metadata: () => key("llama"),
      expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED", metadata: { method: "Generate", model: "mistral", principal: "llama" } },
    },
    { name: "glob with :latest, model without tag", method: "Embed", request: { model: "llama3.2" }, metadata: () => key("pinned"), expected: { principal: "pinned" } },
    { name: "glob with :latest, model with it", method: "ShowModel", request: { model: "llama3.2:latest" }, metadata: () => key("pinned"), expected: { principal: "pinned" } },
    { name: "glob with :latest, another tag", method: "Generate", request: { model: "llama3.2:3b" }, metadata: () => key("pinned"), expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED" } },
    { name: "empty model is left to validation", method: "Generate", request: { model: "" }, metadata: () => key("llama"), expected: { principal: "llama" } },
    { name: "ListModels is allowed", method: "ListModels", request: {}, metadata: () => key("llama"), expected: { principal: "llama" } },
    { name: "ListRunningModels is allowed", method: "ListRunningModels", request: {}, metadata: () => key("pinned"), expected: { principal: "pinned" } },
    {
      name: "management without the admin scope",
      method: "PullModel",
      request: { model: "llama3.2" },
      metadata: () => key("llama"),
      expected: { code: Status.PERMISSION_DENIED, reason: "ADMIN_SCOPE_REQUIRED", metadata: { method: "PullModel", principal: "llama", scope: "admin" } },
    },
    { name: "management with the admin scope", method: "DeleteModel", request: { model: "mistral" }, metadata: () => key("admin"), expected: { principal: "admin" } },
    { name: "admin still bound by model globs", method: "LoadModel", request: { model: "mistral" }, metadata: () => key("llamaAdmin"), expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED" } },
    { name: "CopyModel, both names allowed", method: "CopyModel", request: { source: "llama3.2", destination: "llama3-copy" }, metadata: () => key("llamaAdmin"), expected: { principal: "llama-admin" } },
    {
      name: "CopyModel to a name outside the globs",
      method: "CopyModel",
      request: { source: "llama3.2", destination: "mistral" },
      metadata: () => key("llamaAdmin"),
      expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED", metadata: { method: "CopyModel", model: "mistral", principal: "llama-admin" } },
    },
    {
      name: "CopyModel from a name outside the globs",
      method: "CopyModel",
      request: { source: "mistral", destination: "llama3-x" },
      metadata: () => key("llamaAdmin"),
      expected: { code: Status.PERMISSION_DENIED, reason: "MODEL_NOT_ALLOWED", metadata: { method: "CopyModel", model: "mistral", principal: "llama-admin" } },
    },
    { name: "UnloadModel without admin", method: "UnloadModel", request: { model: "llama3.2" }, metadata: () => key("pinned"), expected: { code: Status.PERMISSION_DENIED, reason: "ADMIN_SCOPE_REQUIRED" } },
  ];

  it.each(rows)("$name", async ({ method, request, metadata, expected }) => {
    const outcome = await run(method, request ?? {}, await metadata());
    if ("principal" in expected) {
      expect(outcome.error?.details).toBeUndefined();
      expect(outcome.passed?.principal.name).toBe(expected.principal);
      return;
    }
    expect(outcome.passed, "next is not called").toBeUndefined();
    expect(Status[outcome.error?.code ?? Status.OK]).toBe(Status[expected.code]);
    const info = errorInfo(outcome.error);
    expect(info?.reason).toBe(expected.reason);
    expect(info?.domain).toBe("ollama-grpc-gateway");
    if (expected.metadata !== undefined) expect(info?.metadata).toEqual(expected.metadata);
    expect(outcome.record.errorReason).toBe(expected.reason);
  });
});

describe("auth middleware: what it passes on and records", () => {
  it("adds the principal to the context and records its name and tenant", async () => {
    const outcome = await run("Generate", { model: "llama3.2" }, key("llama"), { stream: [{ response: "a" }, { response: "b" }] });
    expect(outcome.yielded).toEqual([{ response: "a" }, { response: "b" }]);
    const principal: Principal | undefined = outcome.passed?.principal;
    expect(principal).toMatchObject({ name: "llama", tenant: "team-a", credential: "api_key" });
    expect(outcome.record).toMatchObject({ principal: "llama", tenant: "team-a" });
    expect(outcome.passed?.callRecord).toBe(outcome.record);
  });

  it("records why authentication failed, never the credential", async () => {
    const token = await hs256(claims({ aud: "elsewhere" }));
    const attempts: Array<Record<string, string>> = [{ "x-api-key": "k-guess-123456" }, { authorization: `Bearer ${token}` }];
    for (const metadata of attempts) {
      const outcome = await run("Generate", { model: "x" }, metadata);
      expect(outcome.record.authFailure).toBeTruthy();
      const shown = JSON.stringify([outcome.record, outcome.error?.details, outcome.error?.extra]);
      expect(shown).not.toContain("k-guess");
      for (const part of token.split(".")) expect(shown).not.toContain(part);
    }
  });

  it("the missing-credentials message says how to authenticate", async () => {
    const outcome = await run("Generate", { model: "x" }, {});
    expect(outcome.error?.details).toMatch(/authorization: Bearer <token>.*x-api-key/);
  });

  it("key sets that cannot be fetched give UNAVAILABLE (retryable), not UNAUTHENTICATED", async () => {
    const failing = {
      authenticate: () => Promise.reject(new AuthError("unavailable", "jwt key set: timeout")),
    } as unknown as Authenticator;
    const outcome = await run("Generate", { model: "x" }, { authorization: "Bearer a.b.c" }, {}, failing);
    expect(Status[outcome.error?.code ?? Status.OK]).toBe("UNAVAILABLE");
    expect(errorInfo(outcome.error)?.reason).toBe("AUTH_UNAVAILABLE");
  });

  it("an unexpected authenticator failure is not disguised as an auth error", async () => {
    const broken = { authenticate: () => Promise.reject(new TypeError("bug")) } as unknown as Authenticator;
    const record: CallRecord = { chunksOut: 0 };
    const call = {
      method: { path: "/ollama.v1.OllamaService/Generate", requestStream: false, responseStream: true, options: {} },
      requestStream: false,
      request: {},
      responseStream: true,
      async *next() {},
    } as unknown as ServerMiddlewareCall<unknown, unknown, PrincipalContext>;
    const context = { metadata: Metadata(), peer: "", header: Metadata(), sendHeader() {}, trailer: Metadata(), signal: new AbortController().signal, callRecord: record };
    await expect(authMiddleware(broken, OPTIONS)(call, context).next()).rejects.toThrow(TypeError);
  });
});

describe("auth middleware: listing filters", () => {
  const models = { models: [{ name: "llama3.2:latest" }, { name: "mistral:latest" }, { name: "llama3.1:70b" }], backends: [{ name: "b1" }] };

  it.each([
    { key: "llama" as const, method: "ListModels", expected: ["llama3.2:latest", "llama3.1:70b"] },
    { key: "pinned" as const, method: "ListModels", expected: ["llama3.2:latest"] },
    { key: "pinned" as const, method: "ListRunningModels", expected: ["llama3.2:latest"] },
    { key: "admin" as const, method: "ListModels", expected: ["llama3.2:latest", "mistral:latest", "llama3.1:70b"] },
  ])("$method for $key lists $expected", async ({ key: name, method, expected }) => {
    const outcome = await run(method, {}, key(name), { response: models });
    const returned = outcome.returned as typeof models;
    expect(returned.models.map((m) => m.name)).toEqual(expected);
    expect(returned.backends).toEqual(models.backends);
  });

  it("an unrestricted principal gets the answer object untouched", async () => {
    const outcome = await run("ListModels", {}, key("admin"), { response: models });
    expect(outcome.returned).toBe(models);
  });
});
