/**
 * Builds the configuration from its sources. Precedence, highest first:
 * command-line flags, then OLLAMA_GRPC_* environment variables, then the
 * YAML file (--config or OLLAMA_GRPC_CONFIG), then the defaults. This is the
 * only module that reads the environment.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, DEFAULTS, validateConfig, type Config } from "./schema.js";

/** Settings given on the command line (already parsed); undefined = not given. */
export interface ConfigOverrides {
  config?: string;
  listen?: string;
  backends?: string[];
  logLevel?: string;
  maxStreamDuration?: string;
  drainTimeout?: string;
  enableManagement?: boolean;
  policy?: string;
  adminListen?: string;
  httpListen?: string;
}

type Raw = Record<string, unknown>;

/** Loads and validates the configuration. Throws ConfigError naming every bad field. */
export function loadConfig(flags: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = flags.config ?? env.OLLAMA_GRPC_CONFIG;
  let raw: Raw = structuredClone(DEFAULTS) as unknown as Raw;
  if (file !== undefined && file !== "") raw = merge(raw, readConfigFile(file));
  raw = merge(raw, overridesToRaw({
    listen: env.OLLAMA_GRPC_LISTEN,
    backends: env.OLLAMA_GRPC_BACKENDS?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    logLevel: env.OLLAMA_GRPC_LOG_LEVEL,
    maxStreamDuration: env.OLLAMA_GRPC_MAX_STREAM_DURATION,
    drainTimeout: env.OLLAMA_GRPC_DRAIN_TIMEOUT,
    management: env.OLLAMA_GRPC_MANAGEMENT,
    policy: env.OLLAMA_GRPC_POLICY,
    adminListen: env.OLLAMA_GRPC_ADMIN_LISTEN,
    httpListen: env.OLLAMA_GRPC_HTTP_LISTEN,
  }));
  const { enableManagement, ...rest } = flags;
  raw = merge(raw, overridesToRaw({ ...rest, ...(enableManagement !== undefined && { management: enableManagement }) }));
  return validateConfig(raw);
}

function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([`config file ${path}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`config file ${path}: not valid YAML: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError([`config file ${path}: expected a mapping at the top level`]);
  return parsed as Raw;
}

function overridesToRaw(overrides: Omit<ConfigOverrides, "config" | "enableManagement"> & { management?: string | boolean }): Raw {
  const raw: Raw = {};
  if (overrides.management !== undefined) raw.management = { enabled: overrides.management };
  if (overrides.policy !== undefined) raw.balancing = { policy: overrides.policy };
  if (overrides.adminListen !== undefined) raw.admin = { listen: overrides.adminListen };
  if (overrides.httpListen !== undefined) raw.http = { listen: overrides.httpListen };
  if (overrides.listen !== undefined) raw.listen = overrides.listen;
  if (overrides.backends !== undefined && overrides.backends.length > 0) raw.backends = overrides.backends.map(parseBackendFlag);
  if (overrides.logLevel !== undefined) raw.log = { level: overrides.logLevel };
  const streams: Raw = {};
  if (overrides.maxStreamDuration !== undefined) streams.max_stream_duration = overrides.maxStreamDuration;
  if (overrides.drainTimeout !== undefined) streams.drain_timeout = overrides.drainTimeout;
  if (Object.keys(streams).length > 0) raw.streams = streams;
  return raw;
}

/** "http://h:1" or "name=http://h:1" -> a backend entry. */
function parseBackendFlag(text: string): Raw {
  const eq = text.indexOf("=");
  if (eq > 0 && !text.slice(0, eq).includes("/")) return { name: text.slice(0, eq), url: text.slice(eq + 1) };
  return { url: text };
}

/** Deep-merges mappings; lists and scalars in `top` replace those in `base`. */
function merge(base: Raw, top: Raw): Raw {
  const result: Raw = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const current = result[key];
    result[key] = isMapping(current) && isMapping(value) ? merge(current, value) : value;
  }
  return result;
}

function isMapping(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
