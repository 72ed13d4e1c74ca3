import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, type KeyLike } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JwtVerifier, type JwtOutcome } from "../../../src/auth/jwt.js";
import type { JwtSettings } from "../../../src/config/auth-schema.js";
import { AUDIENCE, NOW_S, SECRET, SECRET_ENV, claims, hs256, jwtSettings, now, sign, unsecured } from "./fixtures.js";

type Expected = "ok" | "invalid" | "expired" | "unavailable";

function kindOf(outcome: JwtOutcome): Expected {
  return outcome.ok ? "ok" : outcome.kind;
}

interface KeyPair {
  publicKey: KeyLike;
  privateKey: KeyLike;
}

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" };
}

const SECRET_KEY = { type: "secret", env: "AUTH_TEST_SECRET" } as const;

describe("HS256 secret", () => {
  let verifier: JwtVerifier;
  let rsa: KeyPair;
  beforeAll(async () => {
    verifier = await JwtVerifier.create(jwtSettings(SECRET_KEY), { env: SECRET_ENV, now });
    rsa = await generateKeyPair("RS256");
  });

  const cases: Array<{ name: string; token: () => Promise<string> | string; expected: Expected; why?: RegExp }> = [
    { name: "valid", token: () => hs256(), expected: "ok" },
    { name: "expired beyond the clock skew", token: () => hs256(claims({ exp: NOW_S - 31 })), expected: "expired" },
    { name: "expired within the clock skew", token: () => hs256(claims({ exp: NOW_S - 29 })), expected: "ok" },
    { name: "not yet valid (nbf beyond the skew)", token: () => hs256(claims({ nbf: NOW_S + 60 })), expected: "invalid", why: /nbf/ },
    { name: "nbf within the skew", token: () => hs256(claims({ nbf: NOW_S + 20 })), expected: "ok" },
    { name: "wrong audience", token: () => hs256(claims({ aud: "someone-else" })), expected: "invalid", why: /"aud"/ },
    { name: "one of several audiences", token: () => hs256(claims({ aud: ["x", AUDIENCE] })), expected: "ok" },
    { name: "wrong issuer", token: () => hs256(claims({ iss: "https://evil.test/" })), expected: "invalid", why: /"iss"/ },
    { name: "no exp", token: () => hs256(claims({ exp: undefined })), expected: "invalid", why: /"exp" claim/ },
    { name: "no sub", token: () => hs256(claims({ sub: undefined })), expected: "invalid", why: /"sub" claim/ },
    { name: "no tenant claim", token: () => hs256(claims({ tenant: undefined })), expected: "invalid", why: /claim "tenant"/ },
    { name: "wrong secret", token: () => sign(claims(), new TextEncoder().encode(`${SECRET}-other`), "HS256"), expected: "invalid", why: /signature verification failed/ },
    { name: "alg none", token: () => unsecured(), expected: "invalid", why: /Algorithm/ },
    { name: "RS256 token against a secret", token: () => sign(claims(), rsa.privateKey, "RS256"), expected: "invalid", why: /Algorithm/ },
    { name: "HS384 with the right secret", token: () => sign(claims(), new TextEncoder().encode(SECRET), "HS384"), expected: "invalid", why: /Algorithm/ },
    { name: "tampered payload", token: async () => tamper(await hs256()), expected: "invalid", why: /signature verification failed/ },
    { name: "garbage", token: () => "aaa.bbb.ccc", expected: "invalid", why: /JWS Protected Header is invalid/ },
  ];
  it.each(cases)("$name -> $expected", async ({ token, expected, why }) => {
    const outcome = await verifier.verify(await token());
    expect(kindOf(outcome), outcome.ok ? "" : outcome.reason).toBe(expected);
    if (why !== undefined && !outcome.ok) expect(outcome.reason).toMatch(why);
  });

  it("a missing tenant claim falls back to default_tenant when configured", async () => {
    const lenient = await JwtVerifier.create(jwtSettings(SECRET_KEY, { defaultTenant: "shared" }), { env: SECRET_ENV, now });
    const outcome = await lenient.verify(await hs256(claims({ tenant: undefined })));
    expect(outcome.ok && outcome.principal.tenant).toBe("shared");
  });

  it("refuses to start without the secret, or with a short one, and never shows it", async () => {
    await expect(JwtVerifier.create(jwtSettings(SECRET_KEY), { env: {} })).rejects.toThrow(/AUTH_TEST_SECRET is not set/);
    const short = "short-secret-value";
    const error = (await JwtVerifier.create(jwtSettings(SECRET_KEY), { env: { AUTH_TEST_SECRET: short } }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/shorter than 32 bytes/);
    expect(error.message).not.toContain(short);
  });

  it("reasons never contain the token", async () => {
    const token = await hs256(claims({ aud: "someone-else" }));
    const outcome = await verifier.verify(token);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      for (const part of token.split(".")) expect(outcome.reason).not.toContain(part);
    }
  });
});

describe("claims mapping", () => {
  const cases: Array<{ name: string; settings?: Partial<JwtSettings>; extra: JWTPayload; expected: { tenant: string; scopes: string[]; models: string[] } | "invalid" }> = [
    { name: "scope as a space-separated string", extra: { scope: "read  admin" }, expected: { tenant: "team-a", scopes: ["read", "admin"], models: [] } },
    { name: "scope as a list", extra: { scope: ["admin", "read"] }, expected: { tenant: "team-a", scopes: ["admin", "read"], models: [] } },
    { name: "no scope claim", extra: { scope: undefined }, expected: { tenant: "team-a", scopes: [], models: [] } },
    { name: "scope of the wrong type", extra: { scope: 42 }, expected: "invalid" },
    { name: "models as a list of globs", extra: { models: ["llama3*", "mistral"] }, expected: { tenant: "team-a", scopes: ["read"], models: ["llama3*", "mistral"] } },
    { name: "models of the wrong type", extra: { models: { a: 1 } }, expected: "invalid" },
    { name: "tenant of the wrong type", extra: { tenant: 7 }, expected: "invalid" },
    {
      name: "custom claim names (Azure-style scp, nested tenant)",
      settings: { claims: { tenant: "org.id", scopes: "scp", models: "allowed_models" } },
      extra: { scope: undefined, tenant: undefined, scp: "admin", org: { id: "acme" }, allowed_models: ["gemma*"] },
      expected: { tenant: "acme", scopes: ["admin"], models: ["gemma*"] },
    },
    {
      name: "a claim whose name contains a dot wins over the nested path",
      settings: { claims: { tenant: "https://example.com/tenant", scopes: "scope", models: "models" } },
      extra: { tenant: undefined, "https://example.com/tenant": "flat" },
      expected: { tenant: "flat", scopes: ["read"], models: [] },
    },
  ];
  it.each(cases)("$name", async ({ settings, extra, expected }) => {
    const verifier = await JwtVerifier.create(jwtSettings(SECRET_KEY, settings), { env: SECRET_ENV, now });
    const outcome = await verifier.verify(await hs256(claims(extra)));
    if (expected === "invalid") {
      expect(kindOf(outcome)).toBe("invalid");
      return;
    }
    expect(outcome.ok, outcome.ok ? "" : outcome.reason).toBe(true);
    if (!outcome.ok) return;
    expect({ tenant: outcome.principal.tenant, scopes: [...outcome.principal.scopes], models: [...outcome.principal.models] }).toEqual(expected);
    expect(outcome.principal.name).toBe("alice");
  });
});

describe("JWKS file (RS256 and ES256)", () => {
  let dir: string;
  let rsa: KeyPair;
  let rsa2: KeyPair;
  let ec: KeyPair;
  let other: KeyPair;
  let verifier: JwtVerifier;
  let clock = now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "auth-jwks-"));
    [rsa, rsa2, ec, other] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256"), generateKeyPair("ES256"), generateKeyPair("RS256")]);
    const keys = [await publicJwk(rsa, "rsa-1", "RS256"), await publicJwk(ec, "ec-1", "ES256")];
    await writeFile(join(dir, "jwks.json"), JSON.stringify({ keys }));
    verifier = await JwtVerifier.create(jwtSettings({ type: "jwks_file", path: join(dir, "jwks.json"), reloadCooldownMs: 30_000 }), {
      env: {},
      now: () => clock,
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: Array<{ name: string; token: () => Promise<string> | string; expected: Expected; why?: RegExp }> = [
    { name: "RS256, known kid", token: () => sign(claims(), rsa.privateKey, "RS256", "rsa-1"), expected: "ok" },
    { name: "ES256, known kid", token: () => sign(claims(), ec.privateKey, "ES256", "ec-1"), expected: "ok" },
    { name: "RS256 without kid (one RSA key in the set)", token: () => sign(claims(), rsa.privateKey, "RS256"), expected: "ok" },
    { name: "expired", token: () => sign(claims({ exp: NOW_S - 120 }), rsa.privateKey, "RS256", "rsa-1"), expected: "expired" },
    { name: "not yet valid", token: () => sign(claims({ nbf: NOW_S + 120 }), rsa.privateKey, "RS256", "rsa-1"), expected: "invalid", why: /nbf/ },
    { name: "wrong audience", token: () => sign(claims({ aud: "other" }), rsa.privateKey, "RS256", "rsa-1"), expected: "invalid", why: /"aud"/ },
    { name: "wrong issuer", token: () => sign(claims({ iss: "https://evil.test/" }), ec.privateKey, "ES256", "ec-1"), expected: "invalid", why: /"iss"/ },
    { name: "wrong key under a known kid", token: () => sign(claims(), other.privateKey, "RS256", "rsa-1"), expected: "invalid", why: /signature verification failed/ },
    { name: "unknown kid", token: () => sign(claims(), other.privateKey, "RS256", "rsa-9"), expected: "invalid", why: /no applicable key/ },
    { name: "HS256 token against a JWKS", token: () => hs256(), expected: "invalid", why: /Algorithm/ },
    { name: "alg none", token: () => unsecured(), expected: "invalid", why: /Algorithm/ },
    { name: "RS384 (not in algorithms)", token: () => sign(claims(), rsa.privateKey, "RS384", "rsa-1"), expected: "invalid", why: /Algorithm/ },
    { name: "ES256 key claimed as RS256", token: () => sign(claims(), rsa.privateKey, "RS256", "ec-1"), expected: "invalid", why: /no applicable key/ },
  ];
  it.each(cases)("$name -> $expected", async ({ token, expected, why }) => {
    const outcome = await verifier.verify(await token());
    expect(kindOf(outcome), outcome.ok ? "" : outcome.reason).toBe(expected);
    if (why !== undefined && !outcome.ok) expect(outcome.reason).toMatch(why);
  });

  it("rotation: a new kid verifies once the file is re-read, not before the cooldown", async () => {
    const keys = [await publicJwk(rsa, "rsa-1", "RS256"), await publicJwk(rsa2, "rsa-2", "RS256")];
    await writeFile(join(dir, "jwks.json"), JSON.stringify({ keys }));
    const token = await sign(claims(), rsa2.privateKey, "RS256", "rsa-2");
    expect(kindOf(await verifier.verify(token))).toBe("invalid");
    clock += 30_000;
    expect(kindOf(await verifier.verify(token))).toBe("ok");
    // Two RSA keys now: a token without kid is tried against both.
    expect(kindOf(await verifier.verify(await sign(claims(), rsa2.privateKey, "RS256")))).toBe("ok");
    expect(kindOf(await verifier.verify(await sign(claims(), other.privateKey, "RS256")))).toBe("invalid");
  });

  it("a broken re-read keeps the last good keys", async () => {
    await writeFile(join(dir, "jwks.json"), "{ not json");
    clock += 60_000;
    const outcome = await verifier.verify(await sign(claims(), other.privateKey, "RS256", "rsa-7"));
    expect(outcome.ok ? "" : outcome.reason).toMatch(/re-reading .* failed/);
    expect(kindOf(await verifier.verify(await sign(claims(), rsa.privateKey, "RS256", "rsa-1")))).toBe("ok");
  });

  it("refuses to start on a missing, empty or private key file", async () => {
    const settings = (path: string) => jwtSettings({ type: "jwks_file", path, reloadCooldownMs: 0 });
    await expect(JwtVerifier.create(settings(join(dir, "missing.json")), { env: {} })).rejects.toThrow(/auth.jwt.jwks_file: cannot load/);
    await writeFile(join(dir, "empty.json"), JSON.stringify({ keys: [] }));
    await expect(JwtVerifier.create(settings(join(dir, "empty.json")), { env: {} })).rejects.toThrow(/non-empty `keys`/);
    await writeFile(join(dir, "private.json"), JSON.stringify({ keys: [await exportJWK(rsa.privateKey)] }));
    await expect(JwtVerifier.create(settings(join(dir, "private.json")), { env: {} })).rejects.toThrow(/public keys only/);
  });
});

describe("JWKS URL", () => {
  let server: Server;
  let jwks: { keys: JWK[] } = { keys: [] };
  let fetches = 0;
  let status = 200;
  let url = "";
  let first: KeyPair;
  let second: KeyPair;

  beforeAll(async () => {
    [first, second] = await Promise.all([generateKeyPair("ES256"), generateKeyPair("ES256")]);
    jwks = { keys: [await publicJwk(first, "k1", "ES256")] };
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const remote = (cooldownMs: number) =>
    JwtVerifier.create(jwtSettings({ type: "jwks_url", url, cooldownMs, cacheMaxAgeMs: 600_000, timeoutMs: 2_000 }), { env: {}, now });

  it("fetches lazily, caches, and follows a kid rotation after a refetch", async () => {
    fetches = 0;
    const verifier = await remote(0);
    expect(fetches).toBe(0);
    expect(kindOf(await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k1")))).toBe("ok");
    expect(kindOf(await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k1")))).toBe("ok");
    expect(fetches).toBe(1);
    jwks = { keys: [await publicJwk(first, "k1", "ES256"), await publicJwk(second, "k2", "ES256")] };
    expect(kindOf(await verifier.verify(await sign(claims(), second.privateKey, "ES256", "k2")))).toBe("ok");
    expect(fetches).toBe(2);
    jwks = { keys: [await publicJwk(second, "k2", "ES256")] };
    expect(kindOf(await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k1")))).toBe("ok"); // still cached
    expect(kindOf(await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k9")))).toBe("invalid");
    expect(fetches).toBe(3);
  });

  it("an unknown kid does not refetch within the cooldown", async () => {
    jwks = { keys: [await publicJwk(first, "k1", "ES256")] };
    fetches = 0;
    const verifier = await remote(60_000);
    expect(kindOf(await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k1")))).toBe("ok");
    for (let i = 0; i < 3; i++) expect(kindOf(await verifier.verify(await sign(claims(), second.privateKey, "ES256", "unknown")))).toBe("invalid");
    expect(fetches).toBe(1);
  });

  it("a key set that cannot be fetched is 'unavailable', not the caller's fault", async () => {
    status = 500;
    try {
      const verifier = await remote(0);
      const outcome = await verifier.verify(await sign(claims(), first.privateKey, "ES256", "k1"));
      expect(kindOf(outcome)).toBe("unavailable");
    } finally {
      status = 200;
    }
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await JwtVerifier.create(
      jwtSettings({ type: "jwks_url", url: `http://127.0.0.1:${port}/jwks.json`, cooldownMs: 0, cacheMaxAgeMs: 600_000, timeoutMs: 2_000 }),
      { env: {}, now },
    );
    const outcome = await unreachable.verify(await sign(claims(), first.privateKey, "ES256", "k1"));
    expect(kindOf(outcome), outcome.ok ? "" : outcome.reason).toBe("unavailable");
  });
});

/** Flips one character of the payload, keeping the signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const body = JSON.parse(Buffer.from(payload, "base64url").toString()) as JWTPayload;
  body.sub = "mallory";
  return `${header}.${Buffer.from(JSON.stringify(body)).toString("base64url")}.${signature}`;
}
