/** Shared test material for the auth tests: a fixed clock, settings, token builders. */
import { SignJWT, base64url, type JWTPayload, type KeyLike } from "jose";
import type { JwtSettings } from "../../../src/config/auth-schema.js";

/** A fixed "now", in seconds and as a clock in ms. */
export const NOW_S = 1_800_000_000;
export const now = (): number => NOW_S * 1000;

export const ISSUER = "https://idp.test/";
export const AUDIENCE = "ollama-grpc";
/** A test-only HS256 secret (32 bytes, the minimum). */
export const SECRET = "test-secret-0123456789abcdefghij";
export const SECRET_ENV = { AUTH_TEST_SECRET: SECRET };

/** JWT settings with a 30 s clock skew and the default claim names. */
export function jwtSettings(key: JwtSettings["key"], overrides: Partial<JwtSettings> = {}): JwtSettings {
  return {
    key,
    issuer: [ISSUER],
    audience: [AUDIENCE],
    clockSkewMs: 30_000,
    algorithms: key.type === "secret" ? ["HS256"] : ["RS256", "ES256"],
    claims: { tenant: "tenant", scopes: "scope", models: "models" },
    defaultTenant: undefined,
    ...overrides,
  };
}

/** Claims of a valid token: issued now, valid for an hour. */
export function claims(extra: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: "alice", tenant: "team-a", scope: "read", iat: NOW_S, exp: NOW_S + 3600, ...extra };
}

/** Signs `payload` (claims with value undefined are left out). */
export async function sign(payload: JWTPayload, key: KeyLike | Uint8Array, alg: string, kid?: string): Promise<string> {
  const defined = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(defined).setProtectedHeader(kid === undefined ? { alg } : { alg, kid }).sign(key);
}

/** An HS256 token signed with SECRET. */
export function hs256(payload: JWTPayload = claims()): Promise<string> {
  return sign(payload, new TextEncoder().encode(SECRET), "HS256");
}

/** An unsecured token (`alg: none`, empty signature). */
export function unsecured(payload: JWTPayload = claims()): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: "none", typ: "JWT" })}.${part(payload)}.`;
}
