import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULTS, validateConfig, type Config } from "../../../src/config/schema.js";

type Raw = Record<string, unknown>;

/** The defaults in file format, as a mutable deep copy. */
const defaults = (): Raw => structuredClone(DEFAULTS) as unknown as Raw;
const section = (name: keyof typeof DEFAULTS, patch: Raw): Raw => ({ ...(structuredClone(DEFAULTS[name]) as Raw), ...patch });

function problemsOf(raw: Raw): string[] {
  try {
    validateConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

/** The field path each problem names (the text before the first ": "). */
const fieldsOf = (problems: string[]): string[] => problems.map((p) => p.slice(0, p.indexOf(": ")));

const DEFAULT_CONFIG: Config = {
  clusters: [],
  listen: "0.0.0.0:50051",
  backends: [{ name: "local", url: "http://127.0.0.1:11434", weight: 1, priority: 0, locality: "", labels: {}, maxConcurrency: 1 }],
  balancing: {
    policy: "ollama",
    policyConfig: {},
    affinityMetadata: "x-session-id",
    priorityMetadata: "x-priority",
    panicThresholdPercent: 50,
    coldLoadEstimateMs: 10_000,
    serviceTimeEstimateMs: 5_000,
  },
  healthCheck: { enabled: true, intervalMs: 5_000, timeoutMs: 2_000, jitterFraction: 0.1, unhealthyThreshold: 2, healthyThreshold: 2 },
  outlierDetection: {
    consecutiveLocalFailures: 5,
    consecutive5xx: 5,
    baseEjectionMs: 30_000,
    maxEjectionMs: 300_000,
    maxEjectionPercent: 50,
    intervalMs: 10_000,
    successRate: { enabled: true, minimumHosts: 3, requestVolume: 20, stdevFactor: 1900 },
    failurePercentage: { enabled: true, minimumHosts: 2, requestVolume: 20, threshold: 85 },
  },
  catalogue: { refreshIntervalMs: 10_000 },
  queue: { maxLength: 256, maxWaitMs: 30_000 },
  retry: { maxAttempts: 3, baseBackoffMs: 25, maxBackoffMs: 1_000, budgetPercent: 20, minRetries: 3 },
  admin: { listen: "127.0.0.1:50052" },
  discovery: {
    type: "static",
    dns: { name: "", port: 11434, scheme: "http", minRefreshMs: 5_000, maxRefreshMs: 60_000 },
    xds: { server: "", cluster: "", nodeId: "ollama-grpc-gateway" },
    endpointDefaults: { weight: 1, priority: 0, maxConcurrency: 1, labels: {} },
  },
  upstream: {
    connections: 256,
    connectTimeoutMs: 5_000,
    firstTokenTimeoutMs: 600_000,
    idleTimeoutMs: 300_000,
    keepAliveTimeoutMs: 60_000,
    metadataTimeoutMs: 5_000,
  },
  streams: { maxStreamDurationMs: 0, maxDeadlineMs: 86_400_000, drainTimeoutMs: 30_000 },
  limits: { maxMessageBytes: 64 * 1024 * 1024, maxImageBytes: 20 * 1024 * 1024, maxImages: 16, maxEmbedInputs: 256 },
  management: { enabled: false },
  reflection: true,
  auth: { enabled: false, apiKeys: [], jwt: undefined, openMethods: [], openHealth: true, openReflection: true, adminScope: "admin", spiffe: undefined },
  quotas: {
    store: "memory",
    redis: { url: undefined, urlEnv: undefined, keyPrefix: "ollama-grpc", timeoutMs: 250, leaseTtlMs: 30_000 },
    onStoreError: "open",
    tokenReserve: 16,
    perPrincipal: {},
    perModel: [],
  },
  tls: undefined,
  http: { listen: "", ollamaApi: true, openaiApi: true },
  transport: {
    keepaliveTimeMs: 60_000,
    keepaliveTimeoutMs: 20_000,
    maxConnectionAgeMs: 0,
    maxConnectionAgeGraceMs: 0,
    maxConcurrentStreams: 0,
    maxSendMessageBytes: 4 * 1024 * 1024,
  },
  log: { level: "info" },
};
DEFAULT_CONFIG.clusters = [
  {
    name: "default",
    models: ["*"],
    backends: DEFAULT_CONFIG.backends,
    discovery: DEFAULT_CONFIG.discovery,
    policy: "ollama",
    policyConfig: {},
  },
];

describe("validateConfig", () => {
  it("accepts the defaults", () => {
    expect(validateConfig(defaults())).toStrictEqual(DEFAULT_CONFIG);
  });

  const accepted: Array<{ name: string; raw: Raw; pick: (c: Config) => unknown; expected: unknown }> = [
    { name: "IPv6 listen address", raw: { listen: "[::1]:50051" }, pick: (c) => c.listen, expected: "[::1]:50051" },
    {
      name: "backend URL normalised to its origin, name from host:port",
      raw: { backends: [{ url: "https://Ollama.Example:8443/" }] },
      pick: (c) => c.backends,
      expected: [{ name: "ollama.example:8443", url: "https://ollama.example:8443", weight: 1, priority: 0, locality: "", labels: {}, maxConcurrency: 1 }],
    },
    { name: "sizes with units", raw: { limits: { max_message_bytes: "1.5KiB", max_image_bytes: 1000, max_images: "3", max_embed_inputs: "8" } }, pick: (c) => c.limits, expected: { maxMessageBytes: 1536, maxImageBytes: 1000, maxImages: 3, maxEmbedInputs: 8 } },
    { name: "decimal size units", raw: { limits: section("limits", { max_message_bytes: "2MB", max_image_bytes: "1kb" }) }, pick: (c) => [c.limits.maxMessageBytes, c.limits.maxImageBytes], expected: [2_000_000, 1_000] },
    { name: "duration 1h30m and numeric 0", raw: { streams: { max_stream_duration: "1h30m", max_deadline: 0, drain_timeout: "250ms" } }, pick: (c) => c.streams, expected: { maxStreamDurationMs: 5_400_000, maxDeadlineMs: 0, drainTimeoutMs: 250 } },
    { name: "reflection as the string false", raw: { reflection: "false" }, pick: (c) => c.reflection, expected: false },
  ];

  it.each(accepted)("accepts $name", ({ raw, pick, expected }) => {
    expect(pick(validateConfig({ ...defaults(), ...raw }))).toStrictEqual(expected);
  });

  const rejected: Array<{ name: string; raw: Raw; fields: string[] }> = [
    { name: 'listen "nope"', raw: { listen: "nope" }, fields: ["listen"] },
    { name: "listen port out of range", raw: { listen: "0.0.0.0:70000" }, fields: ["listen"] },
    { name: "listen not a string", raw: { listen: 50051 }, fields: ["listen"] },
    { name: "empty backends", raw: { backends: [] }, fields: ["backends"] },
    { name: "backend URL with a path", raw: { backends: [{ name: "a", url: "http://h:1/api" }] }, fields: ["backends[0].url"] },
    { name: "backend entry not a mapping", raw: { backends: ["http://h:1"] }, fields: ["backends[0]"] },
    { name: "bad backend name", raw: { backends: [{ name: "has space", url: "http://h:1" }] }, fields: ["backends[0].name"] },
    {
      name: "duplicate backend names",
      raw: { backends: [{ name: "a", url: "http://h:1" }, { name: "b", url: "http://h:2" }, { name: "a", url: "http://h:3" }] },
      fields: ["backends[2].name"],
    },
    { name: "duplicate derived names", raw: { backends: [{ url: "http://h:1" }, { url: "http://h:1/" }] }, fields: ["backends[1].name"] },
    { name: "unknown backend key", raw: { backends: [{ url: "http://h:1", wieght: 2 }] }, fields: ["backends[0].wieght"] },
    { name: "backend weight 0", raw: { backends: [{ url: "http://h:1", weight: 0 }] }, fields: ["backends[0].weight"] },
    { name: "backend max_concurrency -1", raw: { backends: [{ url: "http://h:1", max_concurrency: -1 }] }, fields: ["backends[0].max_concurrency"] },
    { name: "backend label not a string", raw: { backends: [{ url: "http://h:1", labels: { gpu: 4 } }] }, fields: ["backends[0].labels.gpu"] },
    { name: "affinity metadata grpc-*", raw: { balancing: section("balancing", { affinity_metadata: "grpc-session" }) }, fields: ["balancing.affinity_metadata"] },
    { name: "panic threshold 101", raw: { balancing: section("balancing", { panic_threshold: 101 }) }, fields: ["balancing.panic_threshold"] },
    { name: "health jitter 2", raw: { health_check: section("health_check", { jitter: 2 }) }, fields: ["health_check.jitter"] },
    { name: "health interval 0", raw: { health_check: section("health_check", { interval: "0" }) }, fields: ["health_check.interval"] },
    { name: "max ejection below base", raw: { outlier_detection: section("outlier_detection", { base_ejection_time: "1m", max_ejection_time: "30s" }) }, fields: ["outlier_detection.max_ejection_time"] },
    { name: "retry attempts 0", raw: { retry: section("retry", { max_attempts: 0 }) }, fields: ["retry.max_attempts"] },
    { name: "dns discovery without a name", raw: { discovery: section("discovery", { type: "dns" }) }, fields: ["discovery.dns.name"] },
    { name: "xds discovery without server and cluster", raw: { discovery: section("discovery", { type: "xds" }) }, fields: ["discovery.xds.server", "discovery.xds.cluster"] },
    { name: "unknown discovery type", raw: { discovery: section("discovery", { type: "consul" }) }, fields: ["discovery.type"] },
    { name: "unknown top-level key upstrem", raw: { upstrem: { connections: 4 } }, fields: ["upstrem"] },
    { name: "unknown key streams.max_stream_durration", raw: { streams: section("streams", { max_stream_durration: "1m" }) }, fields: ["streams.max_stream_durration"] },
    { name: 'duration "5 minutes"', raw: { upstream: section("upstream", { connect_timeout: "5 minutes" }) }, fields: ["upstream.connect_timeout"] },
    { name: "negative duration", raw: { streams: section("streams", { drain_timeout: "-5s" }) }, fields: ["streams.drain_timeout"] },
    { name: "unitless non-zero duration", raw: { streams: section("streams", { max_deadline: 30 }) }, fields: ["streams.max_deadline"] },
    { name: 'size "12XB"', raw: { limits: section("limits", { max_image_bytes: "12XB" }) }, fields: ["limits.max_image_bytes"] },
    { name: "size with a negative number", raw: { limits: section("limits", { max_image_bytes: "-1MiB" }) }, fields: ["limits.max_image_bytes"] },
    { name: "zero size", raw: { limits: section("limits", { max_image_bytes: 0 }) }, fields: ["limits.max_image_bytes"] },
    { name: "max_images over 1000", raw: { limits: section("limits", { max_images: 1001 }) }, fields: ["limits.max_images"] },
    { name: "connections 0", raw: { upstream: section("upstream", { connections: 0 }) }, fields: ["upstream.connections"] },
    { name: 'log.level "loud"', raw: { log: { level: "loud" } }, fields: ["log.level"] },
    { name: 'reflection "yes"', raw: { reflection: "yes" }, fields: ["reflection"] },
    {
      name: "max_image_bytes > max_message_bytes",
      raw: { limits: section("limits", { max_message_bytes: "1MiB", max_image_bytes: "2MiB" }) },
      fields: ["limits.max_image_bytes"],
    },
  ];

  it.each(rejected)("rejects $name, naming $fields", ({ raw, fields }) => {
    expect(fieldsOf(problemsOf({ ...defaults(), ...raw }))).toEqual(fields);
  });

  it('rejects backends[0].url "ftp://x"', () => {
    expect(fieldsOf(problemsOf({ ...defaults(), backends: [{ name: "a", url: "ftp://x" }] }))).toEqual(["backends[0].url"]);
  });

  // Each problem must point at a field the user actually got wrong.
  it.each(["http://h:1/v1", "http://h:1/?x=1", "http://user:pass@h:1", "http://h:1/#frag"])(
    "rejects backend url %s (an origin only: a path, query or credentials would be dropped silently)",
    (url) => {
      expect(fieldsOf(problemsOf({ ...defaults(), backends: [{ name: "a", url }] }))).toEqual(["backends[0].url"]);
    },
  );

  it('reports only the URL for an unnamed backend with url "ftp://x"', () => {
    expect(fieldsOf(problemsOf({ ...defaults(), backends: [{ url: "ftp://x" }] }))).toEqual(["backends[0].url"]);
  });

  // Each problem must point at a field the user actually got wrong.
  it('reports only max_message_bytes when it is "12XB"', () => {
    const raw = { ...defaults(), limits: section("limits", { max_message_bytes: "12XB" }) };
    expect(fieldsOf(problemsOf(raw))).toEqual(["limits.max_message_bytes"]);
  });

  it("reports a section that is not a mapping (its fields then count as missing)", () => {
    const fields = fieldsOf(problemsOf({ ...defaults(), upstream: "fast" }));
    expect(fields[0]).toBe("upstream");
    expect(fields.slice(1).every((field) => field.startsWith("upstream."))).toBe(true);
  });

  it("reports several problems together", () => {
    const problems = problemsOf({
      ...defaults(),
      listen: "nope",
      upstrem: {},
      log: { level: "loud" },
      limits: section("limits", { max_image_bytes: "12XB" }),
      backends: [{ name: "a", url: "ftp://x" }],
    });
    expect(fieldsOf(problems)).toEqual(["upstrem", "listen", "backends[0].url", "limits.max_image_bytes", "log.level"]);
  });

  it("lists every problem in the ConfigError message", () => {
    const error = (() => {
      try {
        validateConfig({ ...defaults(), listen: "nope", reflection: "yes" });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error.message).toContain("listen: expected HOST:PORT");
    expect(error.message).toContain("reflection: expected true or false");
  });
});
