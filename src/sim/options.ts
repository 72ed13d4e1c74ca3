/**
 * Simulator configuration: the public option types, their defaults (which
 * mirror Ollama's environment defaults where one exists), and validation
 * that names the offending field.
 */
import { parseGoDuration, KEEP_FOREVER } from "../ollama/keep-alive.js";
import { DEFAULT_SIM_MODELS } from "./model-catalogue.js";
import type { SimModel } from "./model-catalogue.js";

/**
 * A scripted failure for one model (or "*"). Token counts refer to streamed
 * chunks (thinking, content or tool-call chunks), not counting the final one.
 * A count at or beyond the answer length fires after the last chunk, in place
 * of the `done` line.
 */
export interface FaultSpec {
  /** Fail before the first byte with this HTTP status and `{"error": message}`. */
  status?: number;
  /** Error text for `status` and `errorAfterTokens`; defaults to Ollama's runner-crash text. */
  message?: string;
  /** After N chunks write `{"error": ...}` and end (HTTP status stays 200). N = 0 becomes a 500 before any byte. */
  errorAfterTokens?: number;
  /** Destroy the socket after N chunks: no `done`, no error line, no terminating chunk. */
  dropAfterTokens?: number;
  /** After N chunks stop writing but keep the connection open until the client goes away. */
  stallAfterTokens?: number;
  /** After N chunks write a line that is not JSON, then end the body cleanly. */
  malformedAfterTokens?: number;
  /** End the body cleanly after the chunks, without the `done:true` line. */
  endWithoutDone?: boolean;
}

/** Options for {@link startSimulator}. Every field is optional. */
export interface SimulatorOptions {
  /** Interface to bind; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
  /** Installed models; default {@link DEFAULT_SIM_MODELS}. */
  models?: SimModel[];
  /** Delay before the first chunk, after any load or slot wait; default 20 ms. */
  firstTokenMs?: number;
  /** Pacing between chunks; default 50. 0 means as fast as possible. */
  tokensPerSecond?: number;
  /** Cold-load time for models without their own `loadMs`; default 50 ms. */
  defaultLoadMs?: number;
  /** Concurrent requests per loaded model (OLLAMA_NUM_PARALLEL); default 1. */
  numParallel?: number;
  /** Pending requests that need a load before 503 (OLLAMA_MAX_QUEUE); default 512. */
  maxQueue?: number;
  /** Resident models before the least recently used idle one is evicted; default 3. */
  maxLoadedModels?: number;
  /** Idle time before unload when a request sends no keep_alive (OLLAMA_KEEP_ALIVE: Go duration or integer seconds; negative = forever); default "5m". */
  defaultKeepAlive?: string;
  /**
   * Content chunks per plain-text answer; default 12. Thinking models first add
   * max(2, round(tokens / 3)) thinking chunks; `format` answers are as long as
   * their JSON; `options.num_predict` caps the total.
   */
  tokens?: number;
  /** Seed mixed into every generated answer; default 42. */
  seed?: number;
  /** `/api/version` value; default "0.33.0-sim". */
  version?: string;
  /** Faults per model name, or "*" for every model. */
  faults?: Record<string, FaultSpec>;
  /** Models resident at start (their keep-alive timer starts at once). */
  preloaded?: string[];
  /** How many recent requests `requests()` and GET /sim/requests keep (older ones are dropped); default 1000. */
  requestLogSize?: number;
}

/** Settings that {@link RunningSimulator.configure} may change while running. */
export type LiveSettings = Required<Pick<SimulatorOptions, "firstTokenMs" | "tokensPerSecond" | "tokens" | "numParallel">>;

/** Options with defaults applied and validated. `defaultKeepAliveMs` may be {@link KEEP_FOREVER}. */
export interface ResolvedOptions extends LiveSettings {
  readonly host: string;
  readonly port: number;
  readonly models: readonly SimModel[];
  readonly defaultLoadMs: number;
  readonly maxQueue: number;
  readonly maxLoadedModels: number;
  readonly defaultKeepAliveMs: number;
  readonly seed: number;
  readonly version: string;
  readonly faults: Readonly<Record<string, FaultSpec>>;
  readonly preloaded: readonly string[];
  readonly requestLogSize: number;
}

/** Applies defaults and validates. @throws RangeError naming the first invalid field. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const keepAlive = options.defaultKeepAlive ?? "5m";
  // Like OLLAMA_KEEP_ALIVE: a Go duration, or else a bare integer number of seconds.
  const parsed = /^[-+]?\d+$/.test(keepAlive) ? { ok: true as const, value: Number(keepAlive) * 1e9 } : parseGoDuration(keepAlive);
  if (!parsed.ok) throw new RangeError(`defaultKeepAlive: ${parsed.message}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port: expected 0..65535, got ${port}`);
  const faults = options.faults ?? {};
  for (const [model, fault] of Object.entries(faults)) validateFault(fault, `faults[${JSON.stringify(model)}]`);
  return {
    host: options.host ?? "127.0.0.1",
    port,
    models: options.models ?? DEFAULT_SIM_MODELS,
    ...validateLiveSettings({
      firstTokenMs: options.firstTokenMs ?? 20,
      tokensPerSecond: options.tokensPerSecond ?? 50,
      tokens: options.tokens ?? 12,
      numParallel: options.numParallel ?? 1,
    }),
    defaultLoadMs: nonNegative("defaultLoadMs", options.defaultLoadMs ?? 50),
    maxQueue: integer("maxQueue", options.maxQueue ?? 512, 0),
    maxLoadedModels: integer("maxLoadedModels", options.maxLoadedModels ?? 3, 1),
    defaultKeepAliveMs: parsed.value < 0 ? KEEP_FOREVER : parsed.value / 1e6,
    seed: integer("seed", options.seed ?? 42, Number.MIN_SAFE_INTEGER),
    version: options.version ?? "0.33.0-sim",
    faults: { ...faults },
    preloaded: [...(options.preloaded ?? [])],
    requestLogSize: integer("requestLogSize", options.requestLogSize ?? 1_000, 1),
  };
}

/** Validates a (partial) live-settings patch. @throws RangeError naming the field. */
export function validateLiveSettings<T extends Partial<LiveSettings>>(patch: T): T {
  if (patch.firstTokenMs !== undefined) nonNegative("firstTokenMs", patch.firstTokenMs);
  if (patch.tokensPerSecond !== undefined) nonNegative("tokensPerSecond", patch.tokensPerSecond);
  if (patch.tokens !== undefined) integer("tokens", patch.tokens, 0);
  if (patch.numParallel !== undefined) integer("numParallel", patch.numParallel, 1);
  return patch;
}

/** Validates a fault. @throws RangeError naming the field under `where`. */
export function validateFault(fault: FaultSpec, where = "fault"): FaultSpec {
  if (fault.status !== undefined) integer(`${where}.status`, fault.status, 400, 599);
  for (const key of ["errorAfterTokens", "dropAfterTokens", "stallAfterTokens", "malformedAfterTokens"] as const) {
    const value = fault[key];
    if (value !== undefined) integer(`${where}.${key}`, value, 0);
  }
  return fault;
}

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${field}: expected a finite number >= 0, got ${value}`);
  return value;
}

function integer(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field}: expected an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}
