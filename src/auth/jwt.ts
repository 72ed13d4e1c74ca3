/**
 * JWT verification with `jose`: an HS256 secret (read from the environment
 * variable the configuration names), a JWKS file, or a JWKS URL. jose's
 * remote key set caches the keys, refetches them after `cacheMaxAge`, and on
 * a token whose `kid` it does not know (key rotation) at most once per
 * cooldown; a JWKS file gets the same treatment here (re-read on an unknown
 * `kid`, at most once per cooldown). Issuer, audience, `exp` and `nbf` (with
 * the configured clock skew) are checked, `exp` and `sub` are required, and
 * only the configured algorithms are accepted, so `alg: none` and an HS256
 * token against public keys are refused before any key is looked up.
 *
 * Outcomes are values; a failure's `reason` is for logs and never contains
 * the token.
 */
import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  type KeyLike,
} from "jose";
import { MIN_HS256_SECRET_BYTES, type JwtSettings } from "../config/auth-schema.js";
import type { Principal } from "./principal.js";

/** Why a token was refused: `unavailable` when the keys could not be fetched (not the caller's fault). */
export type JwtFailureKind = "invalid" | "expired" | "unavailable";

/** The result of verifying one token. */
export type JwtOutcome = { ok: true; principal: Principal } | { ok: false; kind: JwtFailureKind; reason: string };

/** What the verifier needs besides its settings. */
export interface JwtVerifierOptions {
  /** Where `secret_env` is looked up (the process environment, passed in by the composition root). */
  env: Readonly<Record<string, string | undefined>>;
  /** Clock in epoch ms, for `exp`/`nbf` checks (tests pass a fixed one). */
  now?: () => number;
}

/** jose error codes that mean the key set could not be obtained, not that the token is bad. */
const KEY_SET_UNAVAILABLE = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JWK_INVALID", "ERR_JOSE_GENERIC"]);

/** Verifies bearer tokens and maps their claims to a Principal. */
export class JwtVerifier {
  readonly #settings: JwtSettings;
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #file: FileKeySet | undefined;
  readonly #now: () => number;

  private constructor(settings: JwtSettings, key: Uint8Array | JWTVerifyGetKey, file: FileKeySet | undefined, now: () => number) {
    this.#settings = settings;
    this.#key = key;
    this.#file = file;
    this.#now = now;
  }

  /**
   * Builds a verifier. Throws (at start-up, naming the setting) when the
   * secret's variable is unset or too short, or the JWKS file cannot be read
   * or parsed. A JWKS URL is fetched lazily, on the first token.
   */
  static async create(settings: JwtSettings, options: JwtVerifierOptions): Promise<JwtVerifier> {
    const now = options.now ?? Date.now;
    const source = settings.key;
    switch (source.type) {
      case "secret": {
        const secret = options.env[source.env];
        if (secret === undefined || secret === "") throw new Error(`auth.jwt.secret_env: environment variable ${source.env} is not set`);
        const bytes = new TextEncoder().encode(secret);
        if (bytes.length < MIN_HS256_SECRET_BYTES) {
          throw new Error(`auth.jwt.secret_env: the secret in ${source.env} is shorter than ${MIN_HS256_SECRET_BYTES} bytes (RFC 7518, section 3.2)`);
        }
        return new JwtVerifier(settings, bytes, undefined, now);
      }
      case "jwks_file": {
        const file = await FileKeySet.load(source.path, source.reloadCooldownMs, now);
        return new JwtVerifier(settings, file.getKey, file, now);
      }
      case "jwks_url": {
        const remote = createRemoteJWKSet(new URL(source.url), {
          cooldownDuration: source.cooldownMs,
          cacheMaxAge: source.cacheMaxAgeMs,
          timeoutDuration: source.timeoutMs,
        });
        return new JwtVerifier(settings, remote, undefined, now);
      }
    }
  }

  /** Verifies `token` and maps its claims. Never throws. */
  async verify(token: string): Promise<JwtOutcome> {
    const options: JWTVerifyOptions = {
      algorithms: this.#settings.algorithms,
      issuer: this.#settings.issuer,
      audience: this.#settings.audience,
      clockTolerance: this.#settings.clockSkewMs / 1000,
      requiredClaims: ["exp", "sub"],
      currentDate: new Date(this.#now()),
    };
    let payload: JWTPayload;
    try {
      payload = (await verifyWith(token, this.#key, options)).payload;
    } catch (error) {
      return this.#failure(error);
    }
    return toPrincipal(payload, this.#settings);
  }

  #failure(error: unknown): JwtOutcome {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code === "ERR_JWT_EXPIRED") return { ok: false, kind: "expired", reason: `jwt: ${message}` };
    if (code !== undefined && KEY_SET_UNAVAILABLE.has(code)) return { ok: false, kind: "unavailable", reason: `jwt key set: ${message}` };
    if (code === undefined && this.#settings.key.type === "jwks_url") {
      return { ok: false, kind: "unavailable", reason: `jwt key set: fetching ${this.#settings.key.url} failed: ${message}` };
    }
    const fileProblem = code === "ERR_JWKS_NO_MATCHING_KEY" ? this.#file?.problem : undefined;
    return { ok: false, kind: "invalid", reason: `jwt: ${message}${fileProblem === undefined ? "" : ` (${fileProblem})`}` };
  }
}

/**
 * jwtVerify with a secret or a key set. When several keys match a token
 * without `kid` (a key set mid-rotation), each is tried in turn.
 */
async function verifyWith(token: string, key: Uint8Array | JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  if (key instanceof Uint8Array) return jwtVerify(token, key, options);
  try {
    return await jwtVerify(token, key, options);
  } catch (error) {
    if (errorCode(error) !== "ERR_JWKS_MULTIPLE_MATCHING_KEYS") throw error;
    let last: unknown = error;
    for await (const candidate of error as AsyncIterable<KeyLike>) {
      try {
        return await jwtVerify(token, candidate, options);
      } catch (next) {
        if (errorCode(next) !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw next;
        last = next;
      }
    }
    throw last;
  }
}

/** Maps verified claims to a Principal (claim names from the settings). */
function toPrincipal(payload: JWTPayload, settings: JwtSettings): JwtOutcome {
  const { claims } = settings;
  if (typeof payload.sub !== "string" || payload.sub === "") return invalidClaim("sub", "a non-empty string");
  const rawTenant = claimAt(payload, claims.tenant);
  const tenant = rawTenant === undefined ? settings.defaultTenant : rawTenant;
  if (typeof tenant !== "string" || tenant === "") return invalidClaim(claims.tenant, "a non-empty string");
  const scopes = stringList(claimAt(payload, claims.scopes));
  if (scopes === undefined) return invalidClaim(claims.scopes, "a space-separated string or a list of strings");
  const models = stringList(claimAt(payload, claims.models));
  if (models === undefined) return invalidClaim(claims.models, "a space-separated string or a list of strings");
  return {
    ok: true,
    principal: Object.freeze({ name: payload.sub, tenant, scopes: new Set(scopes), models: Object.freeze(models), credential: "jwt" }),
  };
}

function invalidClaim(claim: string, expected: string): JwtOutcome {
  return { ok: false, kind: "invalid", reason: `jwt: claim "${claim}" missing or not ${expected}` };
}

/** A claim by name, or by dotted path into nested objects when no claim has the full name. */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A space-separated string (OAuth 2.0 `scope`) or a list of strings; undefined when it is neither. Absent = empty. */
function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value === "string") return value.split(/\s+/).filter((s) => s !== "");
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.filter((s) => s !== "");
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("ERR_J") ? code : undefined;
}

/**
 * A JWKS read from a file, re-read when a token names a `kid` it does not
 * hold (at most once per cooldown), so keys rotate by rewriting the file. A
 * re-read that fails keeps the last good key set and is reported in `problem`.
 */
class FileKeySet {
  readonly #path: string;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #set: JWTVerifyGetKey;
  #loadedAt: number;
  #reloading: Promise<void> | undefined;
  /** Why the last re-read failed, if it did. */
  problem: string | undefined;

  private constructor(path: string, cooldownMs: number, now: () => number, set: JWTVerifyGetKey) {
    this.#path = path;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
    this.#set = set;
    this.#loadedAt = now();
  }

  static async load(path: string, cooldownMs: number, now: () => number): Promise<FileKeySet> {
    try {
      return new FileKeySet(path, cooldownMs, now, await readKeySet(path));
    } catch (error) {
      throw new Error(`auth.jwt.jwks_file: cannot load ${path}: ${(error as Error).message}`);
    }
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await this.#set(header, token);
    } catch (error) {
      if (errorCode(error) !== "ERR_JWKS_NO_MATCHING_KEY" || this.#now() - this.#loadedAt < this.#cooldownMs) throw error;
      await this.#reload();
      return this.#set(header, token);
    }
  };

  #reload(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        this.#set = await readKeySet(this.#path);
        this.problem = undefined;
      } catch (error) {
        this.problem = `re-reading ${this.#path} failed: ${(error as Error).message}`;
      } finally {
        this.#loadedAt = this.#now();
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }
}

async function readKeySet(path: string): Promise<JWTVerifyGetKey> {
  const text = await readFile(path, "utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("not valid JSON");
  }
  const keys = typeof parsed === "object" && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error("expected a JWKS: an object with a non-empty `keys` list");
  if (keys.some((key) => typeof key !== "object" || key === null || "d" in key || (key as { kty?: unknown }).kty === "oct")) {
    throw new Error("a JWKS file must hold public keys only (found a private or symmetric key)");
  }
  return createLocalJWKSet(parsed as Parameters<typeof createLocalJWKSet>[0]);
}
