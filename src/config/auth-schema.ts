/**
 * The `auth` section of the configuration: types, defaults and validation.
 * Like schema.ts, every problem names its field path
 * (`auth.api_keys[1].sha256: expected 64 hex characters`) and unknown keys
 * are rejected. Credentials never appear in the file: API keys only as their
 * SHA-256, the HS256 secret only as the name of the environment variable that
 * holds it. No message ever echoes the value of a field that may hold a
 * credential by mistake (sha256, secret_env).
 */
import { Fields, kind, show, type Raw } from "./fields.js";
import { parseLimits, type LimitSpec } from "./quota-schema.js";

/** The validated `auth` section. Durations are in ms. */
export interface AuthSettings {
  /** Off: no middleware is installed and every call is anonymous (for local use only). */
  enabled: boolean;
  apiKeys: ApiKeySettings[];
  /** JWT verification, when bearer tokens are accepted. */
  jwt: JwtSettings | undefined;
  /** Fully-qualified method paths ("/ollama.v1.OllamaService/GetVersion") that need no credentials. */
  openMethods: string[];
  /** grpc.health.v1 needs no credentials (kubelet's gRPC probe cannot send any). */
  openHealth: boolean;
  /** Server reflection needs no credentials. */
  openReflection: boolean;
  /** The scope management calls (pull, delete, copy, load, unload) require. */
  adminScope: string;
  /** SPIFFE workload identities (TLS client certificates, or Envoy's XFCC header). */
  spiffe: SpiffeSettings | undefined;
}

/** SPIFFE identities accepted as credentials. */
export interface SpiffeSettings {
  /** Accepted trust domains; empty accepts any (the ids globs still apply). */
  trustDomains: string[];
  /** Read the client's identity from Envoy's `x-forwarded-client-cert` (only when nothing but the sidecar can reach the gateway). */
  trustXfcc: boolean;
  ids: SpiffeIdentitySettings[];
}

/** One accepted identity (or glob of identities) and the principal it stands for. */
export interface SpiffeIdentitySettings {
  /** A SPIFFE ID, or a glob over SPIFFE IDs ("spiffe://cluster.local/ns/batch/sa/*"). */
  id: string;
  /** Principal name; undefined uses the SPIFFE ID itself. */
  name: string | undefined;
  tenant: string;
  scopes: string[];
  models: string[];
  limits?: LimitSpec | undefined;
}

/** One API key: its SHA-256 and the principal it stands for. */
export interface ApiKeySettings {
  name: string;
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string;
  tenant: string;
  scopes: string[];
  /** Model globs; empty means every model. */
  models: string[];
  /** Limits overriding `quotas.per_principal` for this key, field by field. */
  limits?: LimitSpec | undefined;
}

/** Where the keys that sign JWTs come from. */
export type JwtKeySource =
  | { type: "secret"; /** Environment variable holding the HS256 secret. */ env: string }
  | { type: "jwks_file"; path: string; /** Least time between re-reads of the file on an unknown `kid`. */ reloadCooldownMs: number }
  | {
      type: "jwks_url";
      url: string;
      /** Least time between fetches triggered by an unknown `kid`. */
      cooldownMs: number;
      /** Longest time a fetched key set is used before it is fetched again. */
      cacheMaxAgeMs: number;
      /** Timeout of one fetch. */
      timeoutMs: number;
    };

/** JWT verification settings. */
export interface JwtSettings {
  key: JwtKeySource;
  /** Accepted `iss` values (one must match). */
  issuer: string[];
  /** Accepted `aud` values (one must match). */
  audience: string[];
  /** Tolerated clock difference for `exp` and `nbf`. */
  clockSkewMs: number;
  /** Accepted `alg` values: ["HS256"] for a secret, asymmetric algorithms for a JWKS. */
  algorithms: string[];
  /** Claim names (a dotted path reaches into objects, e.g. "realm_access.roles"). */
  claims: { tenant: string; scopes: string; models: string };
  /** Tenant of a token without the tenant claim; undefined rejects such tokens. */
  defaultTenant: string | undefined;
}

/** The management calls (src/service/management.ts): they need the admin scope and can never be open. */
export const MANAGEMENT_METHOD_PATHS: ReadonlySet<string> = new Set(
  ["PullModel", "DeleteModel", "CopyModel", "LoadModel", "UnloadModel"].map((name) => `/ollama.v1.OllamaService/${name}`),
);

/** Asymmetric algorithms a JWKS may use. */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** The defaults, in the file format. */
export const AUTH_DEFAULTS = {
  enabled: false,
  api_keys: [],
  jwt: undefined,
  open_methods: [],
  open_health: true,
  open_reflection: true,
  admin_scope: "admin",
  spiffe: undefined,
} as const;

/** Defaults of the `auth.jwt` fields, in the file format. */
export const JWT_DEFAULTS = {
  clock_skew: "30s",
  jwks_cooldown: "30s",
  jwks_cache_max_age: "10m",
  jwks_timeout: "5s",
  jwks_file_reload_cooldown: "30s",
  claims: { tenant: "tenant", scopes: "scope", models: "models" },
} as const;

/** An HS256 secret shorter than the hash output is weak (RFC 7518, section 3.2). */
export const MIN_HS256_SECRET_BYTES = 32;

const SECTION_KEYS = ["enabled", "api_keys", "jwt", "open_methods", "open_health", "open_reflection", "admin_scope", "spiffe"];
const SPIFFE_KEYS = ["trust_domains", "trust_xfcc", "ids"];
const SPIFFE_ID_KEYS = ["id", "name", "tenant", "scopes", "models", "limits"];
const SPIFFE_ID_GLOB = /^spiffe:\/\/[a-z0-9._*?-]+(\/\S*)?$/;
const KEY_ENTRY_KEYS = ["name", "sha256", "tenant", "scopes", "models", "limits"];
const JWT_KEYS = [
  "secret_env", "jwks_file", "jwks_url", "jwks_cooldown", "jwks_cache_max_age", "jwks_timeout", "jwks_file_reload_cooldown",
  "issuer", "audience", "clock_skew", "algorithms", "claims", "default_tenant",
];
const METHOD_PATH = /^\/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\/[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Validates the `auth` section (`raw` is its value; undefined means all
 * defaults). Calls `problem` once per invalid field and returns usable
 * settings regardless (placeholders where a field was invalid).
 */
export function parseAuthConfig(raw: unknown, problem: (text: string) => void): AuthSettings {
  const p = new AuthFields(problem);
  const section = raw === undefined ? {} : p.mapping(raw, "auth");
  p.keys(section, "auth.", SECTION_KEYS);
  const get = (key: keyof typeof AUTH_DEFAULTS): unknown => (section[key] === undefined ? AUTH_DEFAULTS[key] : section[key]);
  const settings: AuthSettings = {
    enabled: p.bool(get("enabled"), "auth.enabled"),
    apiKeys: parseApiKeys(p, get("api_keys")),
    jwt: section.jwt === undefined || section.jwt === null ? undefined : parseJwt(p, section.jwt),
    openMethods: p.list(get("open_methods"), "auth.open_methods", (value, path) => p.methodPath(value, path)),
    openHealth: p.bool(get("open_health"), "auth.open_health"),
    openReflection: p.bool(get("open_reflection"), "auth.open_reflection"),
    adminScope: p.word(get("admin_scope"), "auth.admin_scope"),
    spiffe: section.spiffe === undefined || section.spiffe === null ? undefined : parseSpiffe(p, section.spiffe),
  };
  const noSpiffe = settings.spiffe === undefined || settings.spiffe.ids.length === 0;
  if (settings.enabled && settings.apiKeys.length === 0 && settings.jwt === undefined && noSpiffe && p.clean("auth.api_keys", "auth.jwt", "auth.spiffe")) {
    problem("auth: enabled, but none of auth.api_keys, auth.jwt or auth.spiffe is configured, so no caller could authenticate");
  }
  return settings;
}

function parseApiKeys(p: AuthFields, raw: unknown): ApiKeySettings[] {
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  return p.list(raw, "auth.api_keys", (entry, path, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      p.problem(`${path}: expected a mapping with name, sha256, tenant, scopes and models, got ${kind(entry)}`);
      return { name: "", sha256: "", tenant: "", scopes: [], models: [], limits: undefined };
    }
    const fields = entry as Raw;
    p.keys(fields, `${path}.`, KEY_ENTRY_KEYS);
    const key: ApiKeySettings = {
      name: p.word(fields.name, `${path}.name`),
      sha256: p.sha256(fields.sha256, `${path}.sha256`),
      tenant: p.word(fields.tenant, `${path}.tenant`),
      scopes: fields.scopes === undefined ? [] : p.list(fields.scopes, `${path}.scopes`, (s, at) => p.word(s, at)),
      models: fields.models === undefined ? [] : p.list(fields.models, `${path}.models`, (s, at) => p.word(s, at)),
      limits: fields.limits === undefined ? undefined : parseLimits(fields.limits, `${path}.limits`, (text) => p.problem(text)),
    };
    const sameName = names.get(key.name);
    if (key.name !== "" && sameName !== undefined) p.problem(`${path}.name: duplicate name "${key.name}" (also auth.api_keys[${sameName}])`);
    names.set(key.name, i);
    const sameHash = hashes.get(key.sha256);
    if (key.sha256 !== "" && sameHash !== undefined) p.problem(`${path}.sha256: the same key as auth.api_keys[${sameHash}]`);
    hashes.set(key.sha256, i);
    return key;
  });
}

function parseSpiffe(p: AuthFields, raw: unknown): SpiffeSettings {
  const section = p.mapping(raw, "auth.spiffe");
  p.keys(section, "auth.spiffe.", SPIFFE_KEYS);
  return {
    trustDomains: section.trust_domains === undefined ? [] : p.list(section.trust_domains, "auth.spiffe.trust_domains", (d, at) => p.word(d, at).toLowerCase()),
    trustXfcc: section.trust_xfcc === undefined ? false : p.bool(section.trust_xfcc, "auth.spiffe.trust_xfcc"),
    ids: p.list(section.ids ?? [], "auth.spiffe.ids", (entry, path) => {
      const fields = p.mapping(entry, path);
      p.keys(fields, `${path}.`, SPIFFE_ID_KEYS);
      const id = typeof fields.id === "string" && SPIFFE_ID_GLOB.test(fields.id) ? fields.id : "";
      if (id === "") p.problem(`${path}.id: expected a SPIFFE ID or glob such as spiffe://cluster.local/ns/search/sa/search-svc, got ${show(fields.id)}`);
      return {
        id,
        name: fields.name === undefined ? undefined : p.word(fields.name, `${path}.name`),
        tenant: p.word(fields.tenant, `${path}.tenant`),
        scopes: fields.scopes === undefined ? [] : p.list(fields.scopes, `${path}.scopes`, (s, at) => p.word(s, at)),
        models: fields.models === undefined ? [] : p.list(fields.models, `${path}.models`, (s, at) => p.word(s, at)),
        limits: fields.limits === undefined ? undefined : parseLimits(fields.limits, `${path}.limits`, (text) => p.problem(text)),
      };
    }),
  };
}

function parseJwt(p: AuthFields, raw: unknown): JwtSettings {
  const jwt = p.mapping(raw, "auth.jwt");
  if ("secret" in jwt) {
    p.problem("auth.jwt.secret: secrets do not belong in the config file; put the secret in an environment variable and name it in auth.jwt.secret_env");
  }
  p.keys(Object.fromEntries(Object.entries(jwt).filter(([k]) => k !== "secret")), "auth.jwt.", JWT_KEYS);
  const key = parseKeySource(p, jwt);
  const claims = jwt.claims === undefined ? {} : p.mapping(jwt.claims, "auth.jwt.claims");
  p.keys(claims, "auth.jwt.claims.", ["tenant", "scopes", "models"]);
  const claim = (name: "tenant" | "scopes" | "models") =>
    claims[name] === undefined ? JWT_DEFAULTS.claims[name] : p.word(claims[name], `auth.jwt.claims.${name}`);
  const clockSkewMs = p.duration(jwt.clock_skew ?? JWT_DEFAULTS.clock_skew, "auth.jwt.clock_skew");
  if (clockSkewMs > MAX_CLOCK_SKEW_MS) p.problem(`auth.jwt.clock_skew: at most 5m (a larger skew keeps expired tokens alive)`);
  return {
    key,
    issuer: p.oneOrMore(jwt.issuer, "auth.jwt.issuer", "the issuer (`iss`) tokens must carry"),
    audience: p.oneOrMore(jwt.audience, "auth.jwt.audience", "the audience (`aud`) tokens must carry"),
    clockSkewMs,
    algorithms: parseAlgorithms(p, jwt.algorithms, key.type),
    claims: { tenant: claim("tenant"), scopes: claim("scopes"), models: claim("models") },
    defaultTenant: jwt.default_tenant === undefined ? undefined : p.word(jwt.default_tenant, "auth.jwt.default_tenant"),
  };
}

function parseKeySource(p: AuthFields, jwt: Raw): JwtKeySource {
  const given = (["secret_env", "jwks_file", "jwks_url"] as const).filter((k) => jwt[k] !== undefined);
  if (given.length !== 1) {
    p.problem(
      given.length === 0
        ? "auth.jwt: expected one of secret_env (HS256), jwks_file or jwks_url"
        : `auth.jwt: expected only one of secret_env, jwks_file or jwks_url, got ${given.join(" and ")}`,
    );
  }
  const duration = (key: "jwks_cooldown" | "jwks_cache_max_age" | "jwks_timeout" | "jwks_file_reload_cooldown") =>
    p.duration(jwt[key] ?? JWT_DEFAULTS[key], `auth.jwt.${key}`);
  switch (given[0]) {
    case "jwks_file":
      return { type: "jwks_file", path: p.text(jwt.jwks_file, "auth.jwt.jwks_file"), reloadCooldownMs: duration("jwks_file_reload_cooldown") };
    case "jwks_url":
      return {
        type: "jwks_url",
        url: p.jwksUrl(jwt.jwks_url, "auth.jwt.jwks_url"),
        cooldownMs: duration("jwks_cooldown"),
        cacheMaxAgeMs: duration("jwks_cache_max_age"),
        timeoutMs: p.positive(duration("jwks_timeout"), "auth.jwt.jwks_timeout"),
      };
    default:
      return { type: "secret", env: given[0] === undefined ? "" : p.envName(jwt.secret_env, "auth.jwt.secret_env") };
  }
}

function parseAlgorithms(p: AuthFields, raw: unknown, type: JwtKeySource["type"]): string[] {
  if (type === "secret") {
    if (raw !== undefined && !(Array.isArray(raw) && raw.length === 1 && raw[0] === "HS256")) {
      p.problem(`auth.jwt.algorithms: a secret_env key verifies HS256 only; expected [HS256] or nothing, got ${show(raw)}`);
    }
    return ["HS256"];
  }
  if (raw === undefined) return [...JWKS_ALGORITHMS];
  return p.list(raw, "auth.jwt.algorithms", (value, path) => {
    if (typeof value === "string" && (JWKS_ALGORITHMS as readonly string[]).includes(value)) return value;
    p.problem(`${path}: expected one of ${JWKS_ALGORITHMS.join(", ")} (a JWKS holds public keys; HS* needs secret_env), got ${show(value)}`);
    return "";
  });
}

/** The checks only auth fields need. */
class AuthFields extends Fields {
  /** Never echoes the value: a key pasted here by mistake must not reach the logs. */
  sha256(value: unknown, path: string): string {
    if (typeof value === "string" && /^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
    this.problem(`${path}: expected 64 hex characters, the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum), never the key itself`);
    return "";
  }

  methodPath(value: unknown, path: string): string {
    if (typeof value === "string" && MANAGEMENT_METHOD_PATHS.has(value)) {
      this.problem(`${path}: ${value} is a management call; management calls always need credentials and the admin scope`);
      return "";
    }
    if (typeof value === "string" && METHOD_PATH.test(value)) return value;
    this.problem(`${path}: expected a fully-qualified method path such as "/ollama.v1.OllamaService/GetVersion", got ${show(value)}`);
    return "";
  }

  jwksUrl(value: unknown, path: string): string {
    if (typeof value === "string") {
      try {
        const url = new URL(value);
        const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
        if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return url.href;
      } catch {
        // reported below
      }
    }
    this.problem(`${path}: expected an https URL (plain http only on loopback: a key set fetched in clear text can be forged), got ${show(value)}`);
    return "";
  }
}
