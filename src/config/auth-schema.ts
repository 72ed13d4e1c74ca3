/**
 * The `auth` section of the configuration: types, defaults and validation.
 * Like schema.ts, every problem names its field path
 * (`auth.api_keys[1].sha256: expected 64 hex characters`) and unknown keys
 * are rejected. Credentials never appear in the file: API keys only as their
 * SHA-256, the HS256 secret only as the name of the environment variable that
 * holds it. No message ever echoes the value of a field that may hold a
 * credential by mistake (sha256, secret_env).
 */
import { parseDurationMs } from "../common/duration.js";

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

const SECTION_KEYS = ["enabled", "api_keys", "jwt", "open_methods", "open_health", "open_reflection", "admin_scope"];
const KEY_ENTRY_KEYS = ["name", "sha256", "tenant", "scopes", "models"];
const JWT_KEYS = [
  "secret_env", "jwks_file", "jwks_url", "jwks_cooldown", "jwks_cache_max_age", "jwks_timeout", "jwks_file_reload_cooldown",
  "issuer", "audience", "clock_skew", "algorithms", "claims", "default_tenant",
];
const METHOD_PATH = /^\/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\/[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

type Raw = Record<string, unknown>;

/**
 * Validates the `auth` section (`raw` is its value; undefined means all
 * defaults). Calls `problem` once per invalid field and returns usable
 * settings regardless (placeholders where a field was invalid).
 */
export function parseAuthConfig(raw: unknown, problem: (text: string) => void): AuthSettings {
  const p = new Fields(problem);
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
  };
  if (settings.enabled && settings.apiKeys.length === 0 && settings.jwt === undefined && p.clean("auth.api_keys", "auth.jwt")) {
    problem("auth: enabled, but neither auth.api_keys nor auth.jwt is configured, so no caller could authenticate");
  }
  return settings;
}

function parseApiKeys(p: Fields, raw: unknown): ApiKeySettings[] {
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  return p.list(raw, "auth.api_keys", (entry, path, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      p.problem(`${path}: expected a mapping with name, sha256, tenant, scopes and models, got ${kind(entry)}`);
      return { name: "", sha256: "", tenant: "", scopes: [], models: [] };
    }
    const fields = entry as Raw;
    p.keys(fields, `${path}.`, KEY_ENTRY_KEYS);
    const key: ApiKeySettings = {
      name: p.word(fields.name, `${path}.name`),
      sha256: p.sha256(fields.sha256, `${path}.sha256`),
      tenant: p.word(fields.tenant, `${path}.tenant`),
      scopes: fields.scopes === undefined ? [] : p.list(fields.scopes, `${path}.scopes`, (s, at) => p.word(s, at)),
      models: fields.models === undefined ? [] : p.list(fields.models, `${path}.models`, (s, at) => p.word(s, at)),
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

function parseJwt(p: Fields, raw: unknown): JwtSettings {
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

function parseKeySource(p: Fields, jwt: Raw): JwtKeySource {
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

function parseAlgorithms(p: Fields, raw: unknown, type: JwtKeySource["type"]): string[] {
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

/** Field checks: each records a problem naming `path` and returns a placeholder on failure. */
class Fields {
  readonly #problem: (text: string) => void;
  readonly #reported = new Set<string>();

  constructor(problem: (text: string) => void) {
    this.#problem = problem;
  }

  problem(text: string): void {
    this.#reported.add(text.slice(0, text.indexOf(":")));
    this.#problem(text);
  }

  /** True when no problem was reported under any of `paths`. */
  clean(...paths: string[]): boolean {
    return ![...this.#reported].some((reported) => paths.some((path) => reported === path || reported.startsWith(`${path}.`) || reported.startsWith(`${path}[`)));
  }

  keys(value: Raw, prefix: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.problem(`${prefix}${key}: unknown setting (expected one of ${allowed.join(", ")})`);
    }
  }

  mapping(value: unknown, path: string): Raw {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Raw;
    this.problem(`${path}: expected a mapping, got ${kind(value)}`);
    return {};
  }

  list<T>(value: unknown, path: string, item: (value: unknown, path: string, index: number) => T): T[] {
    if (!Array.isArray(value)) {
      this.problem(`${path}: expected a list, got ${kind(value)}`);
      return [];
    }
    return value.map((entry: unknown, i) => item(entry, `${path}[${i}]`, i));
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.problem(`${path}: expected true or false, got ${show(value)}`);
    return false;
  }

  text(value: unknown, path: string): string {
    if (typeof value === "string" && value.trim() !== "") return value;
    this.problem(`${path}: expected a non-empty string, got ${show(value)}`);
    return "";
  }

  /** A non-empty string without whitespace (names, tenants, scopes, globs, claim names). */
  word(value: unknown, path: string): string {
    if (typeof value === "string" && value !== "" && !/\s/.test(value)) return value;
    this.problem(`${path}: expected a non-empty string without whitespace, got ${show(value)}`);
    return "";
  }

  /** A string or a non-empty list of strings. */
  oneOrMore(value: unknown, path: string, what: string): string[] {
    if (typeof value === "string" && value !== "") return [value];
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "")) return value as string[];
    this.problem(`${path}: expected ${what}, a string or a list of strings, got ${show(value)}`);
    return [];
  }

  /** Never echoes the value: a key pasted here by mistake must not reach the logs. */
  sha256(value: unknown, path: string): string {
    if (typeof value === "string" && /^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
    this.problem(`${path}: expected 64 hex characters, the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum), never the key itself`);
    return "";
  }

  /** Never echoes the value: the secret itself pasted here by mistake must not reach the logs. */
  envName(value: unknown, path: string): string {
    if (typeof value === "string" && ENV_NAME.test(value)) return value;
    this.problem(`${path}: expected the name of an environment variable (letters, digits and _), not the secret itself`);
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

  duration(value: unknown, path: string): number {
    const ms = typeof value === "string" ? parseDurationMs(value) : value === 0 ? 0 : undefined;
    if (ms !== undefined && ms >= 0) return ms;
    this.problem(`${path}: expected a duration such as 500ms, 30s, 5m or 0, got ${show(value)}`);
    return 0;
  }

  positive(ms: number, path: string): number {
    if (ms > 0) return ms;
    if (this.clean(path)) this.problem(`${path}: must be greater than 0`);
    return 1;
  }
}

/** The type of a value, for fields where a credential may have been pasted by mistake. */
function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}
