import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-keys.js";
import { AUTH_DEFAULTS, JWKS_ALGORITHMS, parseAuthConfig, type AuthSettings } from "../../../src/config/auth-schema.js";

const HASH = hashApiKey("k-1");
const HASH2 = hashApiKey("k-2");
const KEY = { name: "ci", sha256: HASH, tenant: "team-a" };

function parse(raw: unknown): { settings: AuthSettings; problems: string[] } {
  const problems: string[] = [];
  const settings = parseAuthConfig(raw, (text) => problems.push(text));
  return { settings, problems };
}

describe("parseAuthConfig: valid sections", () => {
  it("nothing, or the defaults, give auth disabled with health and reflection open", () => {
    for (const raw of [undefined, structuredClone(AUTH_DEFAULTS)]) {
      expect(parse(raw)).toEqual({
        problems: [],
        settings: { enabled: false, apiKeys: [], jwt: undefined, openMethods: [], openHealth: true, openReflection: true, adminScope: "admin", spiffe: undefined },
      });
    }
  });

  it("API keys, normalized", () => {
    const { settings, problems } = parse({
      enabled: true,
      api_keys: [{ ...KEY, sha256: HASH.toUpperCase(), scopes: ["admin"], models: ["llama3*"] }, { name: "ro", sha256: HASH2, tenant: "t" }],
      open_methods: ["/ollama.v1.OllamaService/GetVersion"],
    });
    expect(problems).toEqual([]);
    expect(settings.apiKeys).toEqual([
      { name: "ci", sha256: HASH, tenant: "team-a", scopes: ["admin"], models: ["llama3*"] },
      { name: "ro", sha256: HASH2, tenant: "t", scopes: [], models: [] },
    ]);
    expect(settings.openMethods).toEqual(["/ollama.v1.OllamaService/GetVersion"]);
  });

  it("an API key's limits", () => {
    const { settings, problems } = parse({ api_keys: [{ ...KEY, limits: { request_rate: "5/s", tokens_per_minute: "none" } }] });
    expect(problems).toEqual([]);
    expect(settings.apiKeys[0]?.limits).toEqual({ requestRate: { perSecond: 5, text: "5/s" }, tokensPerMinute: null });
  });

  it("JWT with an HS256 secret from the environment", () => {
    const { settings, problems } = parse({
      enabled: true,
      jwt: { secret_env: "OLLAMA_GRPC_JWT_SECRET", issuer: "https://idp/", audience: ["a", "b"], clock_skew: "1m" },
    });
    expect(problems).toEqual([]);
    expect(settings.jwt).toEqual({
      key: { type: "secret", env: "OLLAMA_GRPC_JWT_SECRET" },
      issuer: ["https://idp/"],
      audience: ["a", "b"],
      clockSkewMs: 60_000,
      algorithms: ["HS256"],
      claims: { tenant: "tenant", scopes: "scope", models: "models" },
      defaultTenant: undefined,
    });
  });

  it("JWT with a JWKS URL, its cache settings and claim names", () => {
    const { settings, problems } = parse({
      enabled: true,
      jwt: {
        jwks_url: "https://idp.example.com/.well-known/jwks.json",
        jwks_cooldown: "10s",
        jwks_cache_max_age: "1h",
        issuer: "https://idp.example.com/",
        audience: "ollama-grpc",
        algorithms: ["ES256"],
        claims: { scopes: "scp", tenant: "org.id" },
        default_tenant: "shared",
      },
    });
    expect(problems).toEqual([]);
    expect(settings.jwt?.key).toEqual({ type: "jwks_url", url: "https://idp.example.com/.well-known/jwks.json", cooldownMs: 10_000, cacheMaxAgeMs: 3_600_000, timeoutMs: 5_000 });
    expect(settings.jwt?.algorithms).toEqual(["ES256"]);
    expect(settings.jwt?.claims).toEqual({ tenant: "org.id", scopes: "scp", models: "models" });
    expect(settings.jwt?.clockSkewMs).toBe(30_000);
    expect(settings.jwt?.defaultTenant).toBe("shared");
  });

  it("a JWKS file accepts every asymmetric algorithm by default", () => {
    const { settings, problems } = parse({ enabled: true, jwt: { jwks_file: "/etc/jwks.json", issuer: "i", audience: "a" } });
    expect(problems).toEqual([]);
    expect(settings.jwt?.key).toEqual({ type: "jwks_file", path: "/etc/jwks.json", reloadCooldownMs: 30_000 });
    expect(settings.jwt?.algorithms).toEqual([...JWKS_ALGORITHMS]);
  });

  it("plain http is accepted for a loopback JWKS URL", () => {
    expect(parse({ jwt: { jwks_url: "http://127.0.0.1:8080/jwks", issuer: "i", audience: "a" } }).problems).toEqual([]);
  });
});

describe("parseAuthConfig: every problem names its field", () => {
  const jwt = (extra: Record<string, unknown>) => ({ issuer: "i", audience: "a", secret_env: "S", ...extra });
  const cases: Array<{ name: string; raw: unknown; problems: string[] }> = [
    { name: "not a mapping", raw: "yes", problems: ["auth: expected a mapping, got a string"] },
    {
      name: "unknown key",
      raw: { enable: true },
      problems: ["auth.enable: unknown setting (expected one of enabled, api_keys, jwt, open_methods, open_health, open_reflection, admin_scope, spiffe)"],
    },
    { name: "enabled not a boolean", raw: { enabled: "yes" }, problems: ['auth.enabled: expected true or false, got "yes"'] },
    {
      name: "enabled with nothing to authenticate against",
      raw: { enabled: true },
      problems: ["auth: enabled, but none of auth.api_keys, auth.jwt or auth.spiffe is configured, so no caller could authenticate"],
    },
    {
      name: "short sha256",
      raw: { api_keys: [KEY, { ...KEY, name: "b", sha256: "abc" }] },
      problems: ['auth.api_keys[1].sha256: expected 64 hex characters, the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum), never the key itself'],
    },
    {
      name: "missing name and tenant",
      raw: { api_keys: [{ sha256: HASH }] },
      problems: ["auth.api_keys[0].name: expected a non-empty string without whitespace, got nothing", "auth.api_keys[0].tenant: expected a non-empty string without whitespace, got nothing"],
    },
    {
      name: "duplicate key and name",
      raw: { api_keys: [KEY, { ...KEY }] },
      problems: ['auth.api_keys[1].name: duplicate name "ci" (also auth.api_keys[0])', "auth.api_keys[1].sha256: the same key as auth.api_keys[0]"],
    },
    {
      name: "bad scopes and models",
      raw: { api_keys: [{ ...KEY, scopes: "admin", models: ["ok", ""] }] },
      problems: ["auth.api_keys[0].scopes: expected a list, got a string", 'auth.api_keys[0].models[1]: expected a non-empty string without whitespace, got ""'],
    },
    {
      name: "bad SPIFFE section",
      raw: { spiffe: { trust_xfcc: "yes", ids: [{ id: "https://x", tenant: "t" }, { id: "spiffe://td/ns/a/sa/*", tenant: "t", extra: 1 }] } },
      problems: [
        'auth.spiffe.trust_xfcc: expected true or false, got "yes"',
        'auth.spiffe.ids[0].id: expected a SPIFFE ID or glob such as spiffe://cluster.local/ns/search/sa/search-svc, got "https://x"',
        "auth.spiffe.ids[1].extra: unknown setting (expected one of id, name, tenant, scopes, models, limits)",
      ],
    },
    {
      name: "bad limits in an entry",
      raw: { api_keys: [{ ...KEY, limits: { concurrent_streams: -1, rps: 3 } }] },
      problems: [
        "auth.api_keys[0].limits.rps: unknown setting (expected one of request_rate, burst, concurrent_streams, tokens_per_minute)",
        "auth.api_keys[0].limits.concurrent_streams: expected an integer between 1 and 1000000000, got -1",
      ],
    },
    {
      name: "unknown key in an entry",
      raw: { api_keys: [{ ...KEY, key: "x" }] },
      problems: ["auth.api_keys[0].key: unknown setting (expected one of name, sha256, tenant, scopes, models, limits)"],
    },
    {
      name: "bad open method",
      raw: { open_methods: ["GetVersion"] },
      problems: ['auth.open_methods[0]: expected a fully-qualified method path such as "/ollama.v1.OllamaService/GetVersion", got "GetVersion"'],
    },
    {
      name: "a management call cannot be open",
      raw: { open_methods: ["/ollama.v1.OllamaService/GetVersion", "/ollama.v1.OllamaService/PullModel"] },
      problems: ["auth.open_methods[1]: /ollama.v1.OllamaService/PullModel is a management call; management calls always need credentials and the admin scope"],
    },
    { name: "jwt without a key source", raw: { jwt: { issuer: "i", audience: "a" } }, problems: ["auth.jwt: expected one of secret_env (HS256), jwks_file or jwks_url"] },
    {
      name: "jwt with two key sources",
      raw: { jwt: jwt({ jwks_file: "/f" }) },
      problems: ["auth.jwt: expected only one of secret_env, jwks_file or jwks_url, got secret_env and jwks_file"],
    },
    {
      name: "jwt without issuer and audience",
      raw: { jwt: { secret_env: "S" } },
      problems: [
        "auth.jwt.issuer: expected the issuer (`iss`) tokens must carry, a string or a list of strings, got nothing",
        "auth.jwt.audience: expected the audience (`aud`) tokens must carry, a string or a list of strings, got nothing",
      ],
    },
    {
      name: "a secret in the config file",
      raw: { jwt: jwt({ secret: "hunter2" }) },
      problems: ["auth.jwt.secret: secrets do not belong in the config file; put the secret in an environment variable and name it in auth.jwt.secret_env"],
    },
    { name: "secret_env not a variable name", raw: { jwt: jwt({ secret_env: "my secret!" }) }, problems: ["auth.jwt.secret_env: expected the name of an environment variable (letters, digits and _), not the secret itself"] },
    {
      name: "RS256 with a secret",
      raw: { jwt: jwt({ algorithms: ["HS256", "RS256"] }) },
      problems: ['auth.jwt.algorithms: a secret_env key verifies HS256 only; expected [HS256] or nothing, got ["HS256","RS256"]'],
    },
    {
      name: "HS256 with a JWKS",
      raw: { jwt: { jwks_file: "/f", issuer: "i", audience: "a", algorithms: ["RS256", "HS256"] } },
      problems: [`auth.jwt.algorithms[1]: expected one of ${JWKS_ALGORITHMS.join(", ")} (a JWKS holds public keys; HS* needs secret_env), got "HS256"`],
    },
    {
      name: "JWKS over plain http",
      raw: { jwt: { jwks_url: "http://idp.example.com/jwks", issuer: "i", audience: "a" } },
      problems: ['auth.jwt.jwks_url: expected an https URL (plain http only on loopback: a key set fetched in clear text can be forged), got "http://idp.example.com/jwks"'],
    },
    { name: "bad clock skew", raw: { jwt: jwt({ clock_skew: "soon" }) }, problems: ['auth.jwt.clock_skew: expected a duration such as 500ms, 30s, 5m or 0, got "soon"'] },
    { name: "huge clock skew", raw: { jwt: jwt({ clock_skew: "1h" }) }, problems: ["auth.jwt.clock_skew: at most 5m (a larger skew keeps expired tokens alive)"] },
    { name: "zero JWKS timeout", raw: { jwt: { jwks_url: "https://x/j", issuer: "i", audience: "a", jwks_timeout: "0" } }, problems: ["auth.jwt.jwks_timeout: must be greater than 0"] },
    { name: "unknown claim mapping", raw: { jwt: jwt({ claims: { roles: "x" } }) }, problems: ["auth.jwt.claims.roles: unknown setting (expected one of tenant, scopes, models)"] },
    { name: "bad admin scope", raw: { admin_scope: "" }, problems: ['auth.admin_scope: expected a non-empty string without whitespace, got ""'] },
  ];
  it.each(cases)("$name", ({ raw, problems }) => {
    expect(parse(raw).problems).toEqual(problems);
  });

  it("never echoes a credential pasted into sha256, secret_env or a list", () => {
    const key = "sk-live-9f8e7d6c5b4a3f2e1d0c";
    const { problems } = parse({ enabled: true, api_keys: [{ ...KEY, sha256: key }, key], jwt: jwt({ secret_env: key }) });
    expect(problems).toHaveLength(3);
    for (const problem of problems) expect(problem).not.toContain(key);
  });
});
