/**
 * The gateway's configuration: types, defaults and validation. Validation
 * collects every problem, each naming its field path
 * (`backends[1].url: expected an http(s) URL`), and rejects unknown keys so
 * a typo never silently falls back to a default.
 */
import { parseDurationMs } from "../common/duration.js";

/** A validated configuration. Durations are in ms, sizes in bytes. */
export interface Config {
  listen: string;
  backends: Array<{ name: string; url: string }>;
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
  log: { level: LogLevel };
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** The defaults, in the file format (what `ollama-grpc serve --print-config` shows). */
export const DEFAULTS = {
  listen: "0.0.0.0:50051",
  backends: [{ name: "local", url: "http://127.0.0.1:11434" }],
  upstream: { connections: 256, connect_timeout: "5s", first_token_timeout: "10m", idle_timeout: "5m", keep_alive_timeout: "60s", metadata_timeout: "5s" },
  streams: { max_stream_duration: "0", max_deadline: "24h", drain_timeout: "30s" },
  limits: { max_message_bytes: "64MiB", max_image_bytes: "20MiB", max_images: 16, max_embed_inputs: 256 },
  management: { enabled: false },
  reflection: true,
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
  v.keys(raw, "", ["listen", "backends", "upstream", "streams", "limits", "management", "reflection", "log"]);
  const upstream = v.section(raw, "upstream", ["connections", "connect_timeout", "first_token_timeout", "idle_timeout", "keep_alive_timeout", "metadata_timeout"]);
  const streams = v.section(raw, "streams", ["max_stream_duration", "max_deadline", "drain_timeout"]);
  const limits = v.section(raw, "limits", ["max_message_bytes", "max_image_bytes", "max_images", "max_embed_inputs"]);
  const management = v.section(raw, "management", ["enabled"]);
  const log = v.section(raw, "log", ["level"]);
  const config: Config = {
    listen: v.hostPort(raw.listen, "listen"),
    backends: v.backends(raw.backends),
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
    log: { level: v.oneOf(log.level, "log.level", LOG_LEVELS) },
  };
  // Compare the sizes only when both parsed: a placeholder must not cause a second, spurious problem.
  const sizesParsed = !problems.some((p) => p.startsWith("limits.max_message_bytes") || p.startsWith("limits.max_image_bytes"));
  if (sizesParsed && config.limits.maxImageBytes > config.limits.maxMessageBytes) {
    problems.push("limits.max_image_bytes: must not exceed limits.max_message_bytes");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
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

  section(raw: Raw, name: string, allowed: readonly string[]): Raw {
    const value = raw[name];
    if (!isObject(value)) {
      this.#problems.push(`${name}: expected a mapping`);
      return {};
    }
    this.keys(value, `${name}.`, allowed);
    return value;
  }

  hostPort(value: unknown, path: string): string {
    if (typeof value === "string" && /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value) && Number(value.split(":").pop()) <= 65_535) return value;
    this.#problems.push(`${path}: expected HOST:PORT (e.g. 0.0.0.0:50051), got ${show(value)}`);
    return "";
  }

  backends(value: unknown): Array<{ name: string; url: string }> {
    if (!Array.isArray(value) || value.length === 0) {
      this.#problems.push("backends: expected a non-empty list of {name, url}");
      return [];
    }
    const names = new Set<string>();
    return value.map((entry: unknown, i) => {
      const path = `backends[${i}]`;
      if (!isObject(entry)) {
        this.#problems.push(`${path}: expected a mapping with url (and optionally name)`);
        return { name: "", url: "" };
      }
      this.keys(entry, `${path}.`, ["name", "url"]);
      const url = this.url(entry.url, `${path}.url`);
      if (url === "" && entry.name === undefined) return { name: "", url }; // the URL problem says it all
      const name = entry.name === undefined ? defaultName(url) : entry.name;
      if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/.test(name)) {
        this.#problems.push(`${path}.name: expected 1-63 letters, digits, '.', '_', ':' or '-', got ${show(name)}`);
        return { name: "", url };
      }
      if (names.has(name)) this.#problems.push(`${path}.name: duplicate backend name "${name}"`);
      names.add(name);
      return { name, url };
    });
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
