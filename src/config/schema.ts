/**
 * The gateway's configuration: types, defaults and validation. Validation
 * collects every problem, each naming its field path
 * (`backends[1].url: expected an http(s) URL`), and rejects unknown keys so
 * a typo never silently falls back to a default.
 */
import { parseDurationMs } from "../common/duration.js";
import { AUTH_DEFAULTS, parseAuthConfig, type AuthSettings } from "./auth-schema.js";
import { parseQuotaConfig, QUOTA_DEFAULTS, type QuotaSettings } from "./quota-schema.js";
import { parseTlsConfig, type TlsSettings } from "./tls-schema.js";

/** A validated configuration. Durations are in ms, sizes in bytes. */
export interface Config {
  listen: string;
  backends: EndpointSettings[];
  balancing: {
    policy: string;
    policyConfig: Record<string, unknown>;
    affinityMetadata: string;
    priorityMetadata: string;
    panicThresholdPercent: number;
    coldLoadEstimateMs: number;
    serviceTimeEstimateMs: number;
  };
  healthCheck: {
    enabled: boolean;
    intervalMs: number;
    timeoutMs: number;
    jitterFraction: number;
    unhealthyThreshold: number;
    healthyThreshold: number;
  };
  outlierDetection: {
    consecutiveLocalFailures: number;
    consecutive5xx: number;
    baseEjectionMs: number;
    maxEjectionMs: number;
    maxEjectionPercent: number;
    intervalMs: number;
    successRate: { enabled: boolean; minimumHosts: number; requestVolume: number; stdevFactor: number };
    failurePercentage: { enabled: boolean; minimumHosts: number; requestVolume: number; threshold: number };
  };
  catalogue: { refreshIntervalMs: number };
  queue: { maxLength: number; maxWaitMs: number };
  retry: { maxAttempts: number; baseBackoffMs: number; maxBackoffMs: number; budgetPercent: number; minRetries: number };
  admin: { listen: string };
  discovery: DiscoverySettings;
  /** The clusters; without a `clusters` section, one cluster "default" of `backends` / `discovery` serving every model. */
  clusters: ClusterSettings[];
  upstream: {
    connections: number;
    connectTimeoutMs: number;
    firstTokenTimeoutMs: number;
    idleTimeoutMs: number;
    keepAliveTimeoutMs: number;
    metadataTimeoutMs: number;
  };
  streams: { maxStreamDurationMs: number; maxDeadlineMs: number; drainTimeoutMs: number };
  limits: { maxMessageBytes: number; maxImageBytes: number; maxImages: number; maxEmbedInputs: number };
  management: { enabled: boolean };
  reflection: boolean;
  auth: AuthSettings;
  quotas: QuotaSettings;
  /** TLS for the gRPC and HTTP listeners; undefined is plaintext. */
  tls: TlsSettings | undefined;
  /** The HTTP front doors (Ollama- and OpenAI-compatible); `listen` "" is off. */
  http: { listen: string; ollamaApi: boolean; openaiApi: boolean };
  /** HTTP/2 transport of the gRPC listener. Durations in ms; 0 disables a setting where noted. */
  transport: {
    /** Server keepalive pings on idle connections (finds dead callers during silent cold loads). */
    keepaliveTimeMs: number;
    keepaliveTimeoutMs: number;
    /** Connections are sent GOAWAY after about this long (±10 % jitter), so L4 balancers rebalance; 0 = never. */
    maxConnectionAgeMs: number;
    /** After GOAWAY, in-flight streams get this long to finish before the connection is closed; 0 = unbounded. */
    maxConnectionAgeGraceMs: number;
    /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection; 0 = grpc-js's default (unlimited). */
    maxConcurrentStreams: number;
    /** Largest message sent; grpc clients reject larger ones by default (4 MiB). */
    maxSendMessageBytes: number;
  };
  log: { level: LogLevel };
}

/** Where a cluster's endpoints come from. */
export interface DiscoverySettings {
  type: "static" | "dns" | "xds";
  dns: { name: string; port: number; scheme: "http" | "https"; minRefreshMs: number; maxRefreshMs: number };
  xds: { server: string; cluster: string; nodeId: string };
  endpointDefaults: { weight: number; priority: number; maxConcurrency: number; labels: Record<string, string> };
}

/** One cluster: endpoints (static or discovered), the models it serves, its policy. */
export interface ClusterSettings {
  name: string;
  /** Glob patterns on model names ("llama3*", "*:70b"); "*" serves every model. */
  models: string[];
  backends: EndpointSettings[];
  discovery: DiscoverySettings;
  policy: string;
  policyConfig: Record<string, unknown>;
}

/** One backend endpoint. */
export interface EndpointSettings {
  name: string;
  url: string;
  weight: number;
  priority: number;
  locality: string;
  labels: Record<string, string>;
  maxConcurrency: number;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** The defaults, in the file format (what `ollama-grpc serve --print-config` shows). */
export const DEFAULTS = {
  listen: "0.0.0.0:50051",
  backends: [{ name: "local", url: "http://127.0.0.1:11434" }],
  balancing: {
    policy: "ollama",
    policy_config: {},
    affinity_metadata: "x-session-id",
    priority_metadata: "x-priority",
    panic_threshold: 50,
    cold_load_estimate: "10s",
    service_time_estimate: "5s",
  },
  health_check: { enabled: true, interval: "5s", timeout: "2s", jitter: 0.1, unhealthy_threshold: 2, healthy_threshold: 2 },
  outlier_detection: {
    consecutive_local_failures: 5,
    consecutive_5xx: 5,
    base_ejection_time: "30s",
    max_ejection_time: "5m",
    max_ejection_percent: 50,
    interval: "10s",
    success_rate: { enabled: true, minimum_hosts: 3, request_volume: 20, stdev_factor: 1900 },
    failure_percentage: { enabled: true, minimum_hosts: 2, request_volume: 20, threshold: 85 },
  },
  catalogue: { refresh_interval: "10s" },
  queue: { max_length: 256, max_wait: "30s" },
  retry: { max_attempts: 3, base_backoff: "25ms", max_backoff: "1s", budget_percent: 20, min_retries: 3 },
  admin: { listen: "127.0.0.1:50052" },
  discovery: {
    type: "static",
    dns: { name: "", port: 11434, scheme: "http", min_refresh: "5s", max_refresh: "60s" },
    xds: { server: "", cluster: "", node_id: "ollama-grpc-gateway" },
    endpoint_defaults: { weight: 1, priority: 0, max_concurrency: 1, labels: {} },
  },
  upstream: { connections: 256, connect_timeout: "5s", first_token_timeout: "10m", idle_timeout: "5m", keep_alive_timeout: "60s", metadata_timeout: "5s" },
  streams: { max_stream_duration: "0", max_deadline: "24h", drain_timeout: "30s" },
  limits: { max_message_bytes: "64MiB", max_image_bytes: "20MiB", max_images: 16, max_embed_inputs: 256 },
  management: { enabled: false },
  reflection: true,
  auth: AUTH_DEFAULTS,
  quotas: QUOTA_DEFAULTS,
  http: { listen: "", ollama_api: true, openai_api: true },
  transport: {
    keepalive_time: "60s",
    keepalive_timeout: "20s",
    max_connection_age: "0",
    max_connection_age_grace: "0",
    max_concurrent_streams: 0,
    max_send_message_bytes: "4MiB",
  },
  log: { level: "info" },
} as const;

/** Thrown when the configuration is invalid; `problems` lists every issue. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Raw = Record<string, unknown>;

/** Validates a raw configuration (file format, defaults already merged in). */
export function validateConfig(raw: Raw): Config {
  const problems: string[] = [];
  const v = new Validator(problems);
  v.keys(raw, "", [
    "listen", "backends", "discovery", "clusters", "balancing", "health_check", "outlier_detection", "catalogue", "queue", "retry", "admin",
    "upstream", "streams", "limits", "management", "reflection", "auth", "quotas", "tls", "http", "transport", "log",
  ]);
  const balancing = v.section(raw, "balancing", [
    "policy", "policy_config", "affinity_metadata", "priority_metadata", "panic_threshold", "cold_load_estimate", "service_time_estimate",
  ]);
  const health = v.section(raw, "health_check", ["enabled", "interval", "timeout", "jitter", "unhealthy_threshold", "healthy_threshold"]);
  const outlier = v.section(raw, "outlier_detection", [
    "consecutive_local_failures", "consecutive_5xx", "base_ejection_time", "max_ejection_time", "max_ejection_percent",
    "interval", "success_rate", "failure_percentage",
  ]);
  const successRate = v.section(outlier, "success_rate", ["enabled", "minimum_hosts", "request_volume", "stdev_factor"], "outlier_detection.");
  const failurePercentage = v.section(outlier, "failure_percentage", ["enabled", "minimum_hosts", "request_volume", "threshold"], "outlier_detection.");
  const catalogue = v.section(raw, "catalogue", ["refresh_interval"]);
  const queue = v.section(raw, "queue", ["max_length", "max_wait"]);
  const retry = v.section(raw, "retry", ["max_attempts", "base_backoff", "max_backoff", "budget_percent", "min_retries"]);
  const admin = v.section(raw, "admin", ["listen"]);
  const upstream = v.section(raw, "upstream", ["connections", "connect_timeout", "first_token_timeout", "idle_timeout", "keep_alive_timeout", "metadata_timeout"]);
  const streams = v.section(raw, "streams", ["max_stream_duration", "max_deadline", "drain_timeout"]);
  const limits = v.section(raw, "limits", ["max_message_bytes", "max_image_bytes", "max_images", "max_embed_inputs"]);
  const management = v.section(raw, "management", ["enabled"]);
  const log = v.section(raw, "log", ["level"]);
  const http = v.section(raw, "http", ["listen", "ollama_api", "openai_api"]);
  const transport = v.section(raw, "transport", [
    "keepalive_time", "keepalive_timeout", "max_connection_age", "max_connection_age_grace", "max_concurrent_streams",
    "max_send_message_bytes",
  ]);
  const config: Config = {
    listen: v.hostPort(raw.listen, "listen"),
    backends: v.backends(raw.backends),
    balancing: {
      policy: v.text(balancing.policy, "balancing.policy"),
      policyConfig: v.mapping(balancing.policy_config, "balancing.policy_config"),
      affinityMetadata: v.metadataKey(balancing.affinity_metadata, "balancing.affinity_metadata"),
      priorityMetadata: v.metadataKey(balancing.priority_metadata, "balancing.priority_metadata"),
      panicThresholdPercent: v.int(balancing.panic_threshold, "balancing.panic_threshold", 0, 100),
      coldLoadEstimateMs: v.duration(balancing.cold_load_estimate, "balancing.cold_load_estimate"),
      serviceTimeEstimateMs: v.duration(balancing.service_time_estimate, "balancing.service_time_estimate"),
    },
    healthCheck: {
      enabled: v.bool(health.enabled, "health_check.enabled"),
      intervalMs: v.positiveDuration(health.interval, "health_check.interval"),
      timeoutMs: v.positiveDuration(health.timeout, "health_check.timeout"),
      jitterFraction: v.fraction(health.jitter, "health_check.jitter"),
      unhealthyThreshold: v.int(health.unhealthy_threshold, "health_check.unhealthy_threshold", 1, 100),
      healthyThreshold: v.int(health.healthy_threshold, "health_check.healthy_threshold", 1, 100),
    },
    outlierDetection: {
      consecutiveLocalFailures: v.int(outlier.consecutive_local_failures, "outlier_detection.consecutive_local_failures", 0, 1_000),
      consecutive5xx: v.int(outlier.consecutive_5xx, "outlier_detection.consecutive_5xx", 0, 1_000),
      baseEjectionMs: v.positiveDuration(outlier.base_ejection_time, "outlier_detection.base_ejection_time"),
      maxEjectionMs: v.positiveDuration(outlier.max_ejection_time, "outlier_detection.max_ejection_time"),
      maxEjectionPercent: v.int(outlier.max_ejection_percent, "outlier_detection.max_ejection_percent", 0, 100),
      intervalMs: v.positiveDuration(outlier.interval, "outlier_detection.interval"),
      successRate: {
        enabled: v.bool(successRate.enabled, "outlier_detection.success_rate.enabled"),
        minimumHosts: v.int(successRate.minimum_hosts, "outlier_detection.success_rate.minimum_hosts", 2, 10_000),
        requestVolume: v.int(successRate.request_volume, "outlier_detection.success_rate.request_volume", 1, 1_000_000),
        stdevFactor: v.int(successRate.stdev_factor, "outlier_detection.success_rate.stdev_factor", 1, 100_000),
      },
      failurePercentage: {
        enabled: v.bool(failurePercentage.enabled, "outlier_detection.failure_percentage.enabled"),
        minimumHosts: v.int(failurePercentage.minimum_hosts, "outlier_detection.failure_percentage.minimum_hosts", 1, 10_000),
        requestVolume: v.int(failurePercentage.request_volume, "outlier_detection.failure_percentage.request_volume", 1, 1_000_000),
        threshold: v.int(failurePercentage.threshold, "outlier_detection.failure_percentage.threshold", 1, 100),
      },
    },
    catalogue: { refreshIntervalMs: v.positiveDuration(catalogue.refresh_interval, "catalogue.refresh_interval") },
    queue: {
      maxLength: v.int(queue.max_length, "queue.max_length", 0, 1_000_000),
      maxWaitMs: v.duration(queue.max_wait, "queue.max_wait"),
    },
    retry: {
      maxAttempts: v.int(retry.max_attempts, "retry.max_attempts", 1, 10),
      baseBackoffMs: v.duration(retry.base_backoff, "retry.base_backoff"),
      maxBackoffMs: v.duration(retry.max_backoff, "retry.max_backoff"),
      budgetPercent: v.int(retry.budget_percent, "retry.budget_percent", 0, 100),
      minRetries: v.int(retry.min_retries, "retry.min_retries", 0, 1_000),
    },
    admin: { listen: admin.listen === "" ? "" : v.hostPort(admin.listen, "admin.listen") },
    discovery: parseDiscovery(v, raw.discovery, ""),
    clusters: [],
    upstream: {
      connections: v.int(upstream.connections, "upstream.connections", 1, 65_536),
      connectTimeoutMs: v.duration(upstream.connect_timeout, "upstream.connect_timeout"),
      firstTokenTimeoutMs: v.duration(upstream.first_token_timeout, "upstream.first_token_timeout"),
      idleTimeoutMs: v.duration(upstream.idle_timeout, "upstream.idle_timeout"),
      keepAliveTimeoutMs: v.duration(upstream.keep_alive_timeout, "upstream.keep_alive_timeout"),
      metadataTimeoutMs: v.duration(upstream.metadata_timeout, "upstream.metadata_timeout"),
    },
    streams: {
      maxStreamDurationMs: v.duration(streams.max_stream_duration, "streams.max_stream_duration"),
      maxDeadlineMs: v.duration(streams.max_deadline, "streams.max_deadline"),
      drainTimeoutMs: v.duration(streams.drain_timeout, "streams.drain_timeout"),
    },
    limits: {
      maxMessageBytes: v.size(limits.max_message_bytes, "limits.max_message_bytes"),
      maxImageBytes: v.size(limits.max_image_bytes, "limits.max_image_bytes"),
      maxImages: v.int(limits.max_images, "limits.max_images", 0, 1_000),
      maxEmbedInputs: v.int(limits.max_embed_inputs, "limits.max_embed_inputs", 1, 100_000),
    },
    management: { enabled: v.bool(management.enabled, "management.enabled") },
    reflection: v.bool(raw.reflection, "reflection"),
    auth: parseAuthConfig(raw.auth, (text) => v.problem(text)),
    quotas: parseQuotaConfig(raw.quotas, (text) => v.problem(text)),
    tls: parseTlsConfig(raw.tls, (text) => v.problem(text)),
    http: {
      listen: http.listen === "" ? "" : v.hostPort(http.listen, "http.listen"),
      ollamaApi: v.bool(http.ollama_api, "http.ollama_api"),
      openaiApi: v.bool(http.openai_api, "http.openai_api"),
    },
    transport: {
      keepaliveTimeMs: v.positiveDuration(transport.keepalive_time, "transport.keepalive_time"),
      keepaliveTimeoutMs: v.positiveDuration(transport.keepalive_timeout, "transport.keepalive_timeout"),
      maxConnectionAgeMs: v.duration(transport.max_connection_age, "transport.max_connection_age"),
      maxConnectionAgeGraceMs: v.duration(transport.max_connection_age_grace, "transport.max_connection_age_grace"),
      maxConcurrentStreams: v.int(transport.max_concurrent_streams, "transport.max_concurrent_streams", 0, 1_000_000),
      maxSendMessageBytes: v.size(transport.max_send_message_bytes, "transport.max_send_message_bytes"),
    },
    log: { level: v.oneOf(log.level, "log.level", LOG_LEVELS) },
  };
  if (
    !problems.some((p) => p.startsWith("outlier_detection.")) &&
    config.outlierDetection.maxEjectionMs < config.outlierDetection.baseEjectionMs
  ) {
    problems.push("outlier_detection.max_ejection_time: must not be shorter than outlier_detection.base_ejection_time");
  }
  config.clusters = parseClusters(v, raw.clusters, config);
  // Compare the sizes only when both parsed: a placeholder must not cause a second, spurious problem.
  const sizesParsed = !problems.some((p) => p.startsWith("limits.max_message_bytes") || p.startsWith("limits.max_image_bytes"));
  if (sizesParsed && config.limits.maxImageBytes > config.limits.maxMessageBytes) {
    problems.push("limits.max_image_bytes: must not exceed limits.max_message_bytes");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Parses a `discovery` mapping; `prefix` locates it ("" or "clusters[1]."). */
function parseDiscovery(v: Validator, raw: unknown, prefix: string): DiscoverySettings {
  const discovery = v.section({ discovery: raw }, "discovery", ["type", "dns", "xds", "endpoint_defaults"], prefix);
  const at = `${prefix}discovery.`;
  const dns = v.section(discovery, "dns", ["name", "port", "scheme", "min_refresh", "max_refresh"], at);
  const xds = v.section(discovery, "xds", ["server", "cluster", "node_id"], at);
  const defaults = v.section(discovery, "endpoint_defaults", ["weight", "priority", "max_concurrency", "labels"], at);
  const type = v.oneOf(discovery.type, `${at}type`, ["static", "dns", "xds"] as const);
  return {
    type,
    dns: {
      name: type === "dns" ? v.text(dns.name, `${at}dns.name`) : String(dns.name ?? ""),
      port: v.int(dns.port, `${at}dns.port`, 1, 65_535),
      scheme: v.oneOf(dns.scheme, `${at}dns.scheme`, ["http", "https"] as const),
      minRefreshMs: v.positiveDuration(dns.min_refresh, `${at}dns.min_refresh`),
      maxRefreshMs: v.positiveDuration(dns.max_refresh, `${at}dns.max_refresh`),
    },
    xds: {
      server: type === "xds" ? v.hostPort(xds.server, `${at}xds.server`) : String(xds.server ?? ""),
      cluster: type === "xds" ? v.text(xds.cluster, `${at}xds.cluster`) : String(xds.cluster ?? ""),
      nodeId: v.text(xds.node_id, `${at}xds.node_id`),
    },
    endpointDefaults: {
      weight: v.int(defaults.weight, `${at}endpoint_defaults.weight`, 1, 10_000),
      priority: v.int(defaults.priority, `${at}endpoint_defaults.priority`, 0, 100),
      maxConcurrency: v.int(defaults.max_concurrency, `${at}endpoint_defaults.max_concurrency`, 1, 10_000),
      labels: v.labels(defaults.labels, `${at}endpoint_defaults.labels`),
    },
  };
}

/**
 * Parses `clusters`, or derives the single "default" cluster from the
 * top-level `backends`, `discovery` and `balancing.policy`. Backend names must
 * be unique across clusters (fleet-wide calls address backends by name).
 */
function parseClusters(v: Validator, raw: unknown, config: Config): ClusterSettings[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    return [
      {
        name: "default",
        models: ["*"],
        backends: config.backends,
        discovery: config.discovery,
        policy: config.balancing.policy,
        policyConfig: config.balancing.policyConfig,
      },
    ];
  }
  if (!Array.isArray(raw)) {
    v.problem("clusters: expected a list of clusters");
    return [];
  }
  const seenClusters = new Set<string>();
  const seenBackends = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const path = `clusters[${i}]`;
    const cluster = v.section({ cluster: entry }, "cluster", ["name", "models", "backends", "discovery", "policy", "policy_config"], "");
    const name = v.text(cluster.name, `${path}.name`);
    if (seenClusters.has(name)) v.problem(`${path}.name: duplicate cluster name "${name}"`);
    seenClusters.add(name);
    const models = cluster.models === undefined ? ["*"] : v.patterns(cluster.models, `${path}.models`);
    const discovery = parseDiscovery(v, mergeDefaults(cluster.discovery ?? {}), `${path}.`);
    const backends = cluster.backends === undefined ? [] : v.backends(cluster.backends, `${path}.backends`);
    if (discovery.type === "static" && backends.length === 0) v.problem(`${path}.backends: a cluster with static discovery needs backends`);
    for (const backend of backends) {
      if (backend.name !== "" && seenBackends.has(backend.name)) v.problem(`${path}.backends: backend name "${backend.name}" is used by another cluster`);
      seenBackends.add(backend.name);
    }
    return {
      name,
      models,
      backends,
      discovery,
      policy: cluster.policy === undefined ? config.balancing.policy : v.text(cluster.policy, `${path}.policy`),
      policyConfig: cluster.policy_config === undefined ? config.balancing.policyConfig : v.mapping(cluster.policy_config, `${path}.policy_config`),
    };
  });
}

/** A cluster's discovery mapping over the defaults (so it may name only what differs). */
function mergeDefaults(discovery: unknown): unknown {
  if (!isObject(discovery)) return discovery;
  const base = structuredClone(DEFAULTS.discovery) as unknown as Raw;
  const merged: Raw = { ...base };
  for (const [key, value] of Object.entries(discovery)) {
    merged[key] = isObject(value) && isObject(base[key]) ? { ...(base[key] as Raw), ...value } : value;
  }
  return merged;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };

/** Field-level checks that record a problem and return a placeholder on failure. */
class Validator {
  readonly #problems: string[];
  constructor(problems: string[]) {
    this.#problems = problems;
  }

  keys(value: Raw, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.#problems.push(`${path}${key}: unknown setting (expected one of ${allowed.join(", ")})`);
    }
  }

  section(raw: Raw, name: string, allowed: readonly string[], prefix = ""): Raw {
    const value = raw[name];
    if (!isObject(value)) {
      this.#problems.push(`${prefix}${name}: expected a mapping`);
      return {};
    }
    this.keys(value, `${prefix}${name}.`, allowed);
    return value;
  }

  hostPort(value: unknown, path: string): string {
    if (typeof value === "string" && /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value) && Number(value.split(":").pop()) <= 65_535) return value;
    this.#problems.push(`${path}: expected HOST:PORT (e.g. 0.0.0.0:50051), got ${show(value)}`);
    return "";
  }

  problem(text: string): void {
    this.#problems.push(text);
  }

  patterns(value: unknown, path: string): string[] {
    if (Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === "string" && p !== "")) return value as string[];
    this.#problems.push(`${path}: expected a non-empty list of model name patterns such as "llama3*" or "*"`);
    return [];
  }

  backends(value: unknown, at = "backends"): EndpointSettings[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.#problems.push(`${at}: expected a non-empty list of {name, url}`);
      return [];
    }
    const names = new Set<string>();
    return value.map((entry: unknown, i) => {
      const path = `${at}[${i}]`;
      if (!isObject(entry)) {
        this.#problems.push(`${path}: expected a mapping with url (and optionally name)`);
        return { name: "", url: "", weight: 1, priority: 0, locality: "", labels: {}, maxConcurrency: 1 };
      }
      this.keys(entry, `${path}.`, ["name", "url", "weight", "priority", "locality", "labels", "max_concurrency"]);
      const url = this.url(entry.url, `${path}.url`);
      const settings = {
        url,
        weight: entry.weight === undefined ? 1 : this.int(entry.weight, `${path}.weight`, 1, 10_000),
        priority: entry.priority === undefined ? 0 : this.int(entry.priority, `${path}.priority`, 0, 100),
        locality: entry.locality === undefined ? "" : this.text(entry.locality, `${path}.locality`),
        labels: entry.labels === undefined ? {} : this.labels(entry.labels, `${path}.labels`),
        maxConcurrency: entry.max_concurrency === undefined ? 1 : this.int(entry.max_concurrency, `${path}.max_concurrency`, 1, 10_000),
      };
      if (url === "" && entry.name === undefined) return { name: "", ...settings }; // the URL problem says it all
      const name = entry.name === undefined ? defaultName(url) : entry.name;
      if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/.test(name)) {
        this.#problems.push(`${path}.name: expected 1-63 letters, digits, '.', '_', ':' or '-', got ${show(name)}`);
        return { name: "", ...settings };
      }
      if (names.has(name)) this.#problems.push(`${path}.name: duplicate backend name "${name}"`);
      names.add(name);
      return { name, ...settings };
    });
  }

  text(value: unknown, path: string): string {
    if (typeof value === "string" && value !== "") return value;
    this.#problems.push(`${path}: expected a non-empty string, got ${show(value)}`);
    return "";
  }

  mapping(value: unknown, path: string): Record<string, unknown> {
    if (isObject(value)) return value;
    this.#problems.push(`${path}: expected a mapping, got ${show(value)}`);
    return {};
  }

  labels(value: unknown, path: string): Record<string, string> {
    const entries = Object.entries(this.mapping(value, path));
    for (const [key, label] of entries) {
      if (typeof label !== "string") this.#problems.push(`${path}.${key}: expected a string, got ${show(label)}`);
    }
    return Object.fromEntries(entries.filter(([, label]) => typeof label === "string")) as Record<string, string>;
  }

  metadataKey(value: unknown, path: string): string {
    if (typeof value === "string" && /^[a-z0-9][a-z0-9._-]*$/.test(value) && !value.endsWith("-bin") && !value.startsWith("grpc-")) return value;
    this.#problems.push(`${path}: expected a lower-case gRPC metadata key (not grpc-* or *-bin), got ${show(value)}`);
    return "";
  }

  positiveDuration(value: unknown, path: string): number {
    const ms = this.duration(value, path);
    if (ms > 0) return ms;
    if (value !== undefined && this.#problems.at(-1)?.startsWith(path) !== true) this.#problems.push(`${path}: must be greater than 0`);
    return 1;
  }

  fraction(value: unknown, path: string): number {
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number === "number" && number >= 0 && number <= 1) return number;
    this.#problems.push(`${path}: expected a number between 0 and 1, got ${show(value)}`);
    return 0;
  }

  url(value: unknown, path: string): string {
    if (typeof value === "string") {
      try {
        const url = new URL(value);
        const plainOrigin = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
        if ((url.protocol === "http:" || url.protocol === "https:") && plainOrigin) return url.origin;
      } catch {
        // reported below
      }
    }
    this.#problems.push(`${path}: expected an http(s) origin (no path, query or credentials) such as http://127.0.0.1:11434, got ${show(value)}`);
    return "";
  }

  int(value: unknown, path: string, min: number, max: number): number {
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number === "number" && Number.isInteger(number) && number >= min && number <= max) return number;
    this.#problems.push(`${path}: expected an integer between ${min} and ${max}, got ${show(value)}`);
    return min;
  }

  duration(value: unknown, path: string): number {
    const ms = typeof value === "string" ? parseDurationMs(value) : value === 0 ? 0 : undefined;
    if (ms !== undefined && ms >= 0) return ms;
    this.#problems.push(`${path}: expected a duration such as 500ms, 30s, 5m, 1h30m or 0, got ${show(value)}`);
    return 0;
  }

  size(value: unknown, path: string): number {
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
    const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
    const unit = SIZE_UNITS[(match?.[2] ?? "x").toLowerCase()];
    if (match && unit !== undefined && Number(match[1]) > 0) return Math.floor(Number(match[1]) * unit);
    this.#problems.push(`${path}: expected a size such as 4194304, 512KiB or 64MiB, got ${show(value)}`);
    return 1;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.#problems.push(`${path}: expected true or false, got ${show(value)}`);
    return false;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.#problems.push(`${path}: expected one of ${allowed.join(", ")}, got ${show(value)}`);
    return allowed[0] as T;
  }
}

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function defaultName(url: string): string {
  try {
    return new URL(url).host.replace(/[^A-Za-z0-9._:-]/g, "-");
  } catch {
    return "";
  }
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}
