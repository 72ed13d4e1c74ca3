/**
 * Turns a call's metadata into a Principal. Credentials arrive as
 * `x-api-key: <key>` or `authorization: Bearer <token>` (never both); without
 * either, a SPIFFE workload identity is used when configured: the verified
 * TLS client certificate's (recorded by peer-identity-interceptor.ts), else
 * Envoy's `x-forwarded-client-cert` when `trust_xfcc` is on. A
 * bearer token shaped like a JWT (three base64url parts) goes to JWT
 * verification when JWT is configured; any other bearer token, and every
 * token when JWT is not configured, is looked up as an API key. So API keys
 * must not contain dots (generated keys such as `openssl rand -hex 32`
 * never do).
 */
import type { Metadata } from "nice-grpc";
import type { AuthSettings } from "../config/auth-schema.js";
import { ApiKeyStore } from "./api-keys.js";
import { JwtVerifier, type JwtVerifierOptions } from "./jwt.js";
import type { Principal } from "./principal.js";
import { SpiffeIdentities, spiffeIdOfXfcc } from "./spiffe.js";

/** Private metadata key holding the TLS peer's SPIFFE ID (set by server/peer-identity-interceptor.ts, which strips client-sent values). */
export const PEER_SPIFFE_METADATA_KEY = "x-ollama-grpc-peer-spiffe-id";

/**
 * Why authentication failed: no credentials, bad ones, an expired token, or
 * the keys to check a token could not be fetched (not the caller's fault).
 */
export type AuthFailureKind = "missing" | "invalid" | "expired" | "unavailable";

/** Authentication failed. `reason` is for logs; it never contains the credential. */
export class AuthError extends Error {
  readonly kind: AuthFailureKind;
  readonly reason: string;

  constructor(kind: AuthFailureKind, reason: string) {
    super(`authentication failed (${kind}): ${reason}`);
    this.name = "AuthError";
    this.kind = kind;
    this.reason = reason;
  }
}

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Authenticates calls against the configured API keys and JWT verifier. */
export class Authenticator {
  readonly #apiKeys: ApiKeyStore;
  readonly #jwt: JwtVerifier | undefined;
  readonly #spiffe: { identities: SpiffeIdentities; trustXfcc: boolean } | undefined;

  constructor(apiKeys: ApiKeyStore, jwt: JwtVerifier | undefined, spiffe?: { identities: SpiffeIdentities; trustXfcc: boolean }) {
    this.#apiKeys = apiKeys;
    this.#jwt = jwt;
    this.#spiffe = spiffe;
  }

  /**
   * Builds the authenticator for validated settings. Throws at start-up when
   * the JWT key material cannot be loaded (see JwtVerifier.create).
   */
  static async create(settings: AuthSettings, options: JwtVerifierOptions): Promise<Authenticator> {
    const jwt = settings.jwt === undefined ? undefined : await JwtVerifier.create(settings.jwt, options);
    const spiffe =
      settings.spiffe === undefined
        ? undefined
        : { identities: new SpiffeIdentities(settings.spiffe.ids, settings.spiffe.trustDomains), trustXfcc: settings.spiffe.trustXfcc };
    return new Authenticator(new ApiKeyStore(settings.apiKeys), jwt, spiffe);
  }

  /** The caller's principal. Rejects with AuthError only. */
  async authenticate(metadata: Metadata): Promise<Principal> {
    const apiKey = stringValue(metadata, "x-api-key");
    const authorization = stringValue(metadata, "authorization");
    if (apiKey === undefined && authorization === undefined) {
      const workload = this.#workload(metadata);
      if (workload !== undefined) return workload;
      throw new AuthError("missing", "no x-api-key or authorization metadata");
    }
    if (apiKey !== undefined && authorization !== undefined) {
      throw new AuthError("invalid", "both x-api-key and authorization metadata sent; send one");
    }
    if (apiKey !== undefined) return this.#lookup(apiKey, "x-api-key");
    const token = BEARER.exec(authorization as string)?.[1];
    if (token === undefined) throw new AuthError("invalid", "authorization metadata is not of the form 'Bearer <token>'");
    if (this.#jwt !== undefined && JWT_SHAPE.test(token)) {
      const outcome = await this.#jwt.verify(token);
      if (outcome.ok) return outcome.principal;
      throw new AuthError(outcome.kind, outcome.reason);
    }
    return this.#lookup(token, "bearer token");
  }

  /** The SPIFFE principal, undefined when the call carries no identity; throws when it carries one that is not accepted. */
  #workload(metadata: Metadata): Principal | undefined {
    if (this.#spiffe === undefined) return undefined;
    const fromTls = stringValue(metadata, PEER_SPIFFE_METADATA_KEY);
    const xfcc = this.#spiffe.trustXfcc ? stringValue(metadata, "x-forwarded-client-cert") : undefined;
    const id = fromTls ?? (xfcc === undefined ? undefined : spiffeIdOfXfcc(xfcc));
    if (id === undefined) {
      if (xfcc !== undefined) throw new AuthError("invalid", "x-forwarded-client-cert carries no SPIFFE URI for the client");
      return undefined;
    }
    const found = this.#spiffe.identities.lookup(id);
    if ("principal" in found) return found.principal;
    throw new AuthError("invalid", found.reason);
  }

  #lookup(key: string, via: string): Principal {
    const principal = this.#apiKeys.lookup(key);
    if (principal !== undefined) return principal;
    const hint = this.#jwt === undefined && JWT_SHAPE.test(key) ? " (it looks like a JWT, but JWT verification is not configured)" : "";
    throw new AuthError("invalid", `${via}: no API key matches${hint}`);
  }
}

/** A metadata value as text; empty or binary values count as absent. */
function stringValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key);
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}
