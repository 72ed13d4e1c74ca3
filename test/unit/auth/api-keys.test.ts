import { Metadata } from "nice-grpc";
import { describe, expect, it } from "vitest";
import { ApiKeyStore, hashApiKey } from "../../../src/auth/api-keys.js";
import { AuthError, Authenticator, type AuthFailureKind } from "../../../src/auth/authenticator.js";
import { JwtVerifier } from "../../../src/auth/jwt.js";
import type { ApiKeySettings } from "../../../src/config/auth-schema.js";
import { SECRET_ENV, hs256, jwtSettings, now } from "./fixtures.js";

const ALPHA = "alpha-5c1f0e8b9d7a4c3e2b1a0f9e8d7c6b5a";
const BETA = "beta-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

const KEYS: ApiKeySettings[] = [
  { name: "alpha", sha256: hashApiKey(ALPHA), tenant: "team-a", scopes: ["admin"], models: ["llama3*"] },
  { name: "beta", sha256: hashApiKey(BETA), tenant: "team-b", scopes: [], models: [] },
];

describe("ApiKeyStore", () => {
  const store = new ApiKeyStore(KEYS);

  it("hashes keys as hex SHA-256 of their UTF-8 bytes", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  const cases: Array<{ name: string; key: string; expected: string | undefined }> = [
    { name: "first key", key: ALPHA, expected: "alpha" },
    { name: "second key", key: BETA, expected: "beta" },
    { name: "wrong key of the same length", key: ALPHA.slice(0, -1) + "x", expected: undefined },
    { name: "a prefix of a key", key: ALPHA.slice(0, 10), expected: undefined },
    { name: "a key with a suffix", key: `${ALPHA}0`, expected: undefined },
    { name: "a much longer key", key: ALPHA.repeat(50), expected: undefined },
    { name: "empty", key: "", expected: undefined },
    { name: "the hash itself", key: hashApiKey(ALPHA), expected: undefined },
    { name: "different case", key: ALPHA.toUpperCase(), expected: undefined },
  ];
  it.each(cases)("$name -> $expected", ({ key, expected }) => {
    expect(store.lookup(key)?.name).toBe(expected);
  });

  it("maps an entry to its principal", () => {
    const principal = store.lookup(ALPHA);
    expect(principal).toMatchObject({ name: "alpha", tenant: "team-a", models: ["llama3*"], credential: "api_key" });
    expect([...(principal?.scopes ?? [])]).toEqual(["admin"]);
  });

  it("an empty store matches nothing", () => {
    expect(new ApiKeyStore([]).lookup(ALPHA)).toBeUndefined();
  });
});

describe("Authenticator: where credentials come from", () => {
  type Row = { name: string; metadata: Record<string, string>; expected: string | AuthFailureKind; withJwt?: boolean };
  const rows: Row[] = [
    { name: "x-api-key, right key", metadata: { "x-api-key": ALPHA }, expected: "alpha" },
    { name: "Bearer, right key", metadata: { authorization: `Bearer ${BETA}` }, expected: "beta" },
    { name: "bearer scheme is case-insensitive", metadata: { authorization: `bearer ${ALPHA}` }, expected: "alpha" },
    { name: "x-api-key, wrong key", metadata: { "x-api-key": `${ALPHA}x` }, expected: "invalid" },
    { name: "Bearer, wrong key", metadata: { authorization: "Bearer not-a-key" }, expected: "invalid" },
    { name: "key of another length", metadata: { "x-api-key": "k" }, expected: "invalid" },
    { name: "nothing", metadata: {}, expected: "missing" },
    { name: "empty x-api-key", metadata: { "x-api-key": "" }, expected: "missing" },
    { name: "unrelated metadata only", metadata: { "x-request-id": "r1" }, expected: "missing" },
    { name: "both x-api-key and authorization", metadata: { "x-api-key": ALPHA, authorization: `Bearer ${ALPHA}` }, expected: "invalid" },
    { name: "Basic scheme", metadata: { authorization: `Basic ${Buffer.from(`u:${ALPHA}`).toString("base64")}` }, expected: "invalid" },
    { name: "no scheme", metadata: { authorization: ALPHA }, expected: "invalid" },
    { name: "Bearer without a token", metadata: { authorization: "Bearer" }, expected: "invalid" },
    { name: "a JWT while JWT is not configured", metadata: { authorization: "Bearer aaa.bbb.ccc" }, expected: "invalid" },
    { name: "API key while JWT is configured", metadata: { authorization: `Bearer ${ALPHA}` }, expected: "alpha", withJwt: true },
    { name: "x-api-key while JWT is configured", metadata: { "x-api-key": BETA }, expected: "beta", withJwt: true },
    { name: "a bad JWT is not retried as an API key", metadata: { authorization: "Bearer aaa.bbb.ccc" }, expected: "invalid", withJwt: true },
  ];

  it.each(rows)("$name -> $expected", async ({ metadata, expected, withJwt }) => {
    const jwt = withJwt ? await JwtVerifier.create(jwtSettings({ type: "secret", env: "AUTH_TEST_SECRET" }), { env: SECRET_ENV, now }) : undefined;
    const authenticator = new Authenticator(new ApiKeyStore(KEYS), jwt);
    const outcome = await authenticator.authenticate(Metadata(metadata)).then(
      (principal) => principal.name,
      (error: unknown) => {
        expect(error).toBeInstanceOf(AuthError);
        const { kind, reason, message } = error as AuthError;
        // Never echo a credential, whole or in part.
        for (const secret of [ALPHA, BETA, "not-a-key"]) {
          expect(reason).not.toContain(secret.slice(0, 8));
          expect(message).not.toContain(secret.slice(0, 8));
        }
        return kind;
      },
    );
    expect(outcome).toBe(expected);
  });

  it("a JWT goes to JWT verification when configured", async () => {
    const jwt = await JwtVerifier.create(jwtSettings({ type: "secret", env: "AUTH_TEST_SECRET" }), { env: SECRET_ENV, now });
    const authenticator = new Authenticator(new ApiKeyStore(KEYS), jwt);
    const principal = await authenticator.authenticate(Metadata({ authorization: `Bearer ${await hs256()}` }));
    expect(principal).toMatchObject({ name: "alice", tenant: "team-a", credential: "jwt" });
  });

  it("the reason says when a JWT arrives but JWT is not configured", async () => {
    const authenticator = new Authenticator(new ApiKeyStore(KEYS), undefined);
    const error = await authenticator.authenticate(Metadata({ authorization: `Bearer ${await hs256()}` })).catch((e: unknown) => e);
    expect((error as AuthError).reason).toMatch(/JWT verification is not configured/);
  });
});
