/**
 * Active health checking, after Envoy's `HealthCheckerImplBase`: one check
 * session per endpoint, a probe with a timeout, separate healthy and
 * unhealthy thresholds, and jittered intervals so a fleet is not probed in
 * lockstep. What a probe does (for Ollama, `GET /api/version`) is injected:
 * this module knows nothing of HTTP, gRPC or Ollama.
 */
import type { ActiveHealth, Clock } from "./types.js";

/** Timing and thresholds of active checks. Validated by the constructor. */
export interface HealthCheckConfig {
  /** Time from the end of one probe to the start of the next while healthy or unknown, in ms (> 0). */
  readonly intervalMs: number;
  /** A probe not settled after this many ms is aborted and counts as a failure (> 0). */
  readonly timeoutMs: number;
  /**
   * Jitter in [0, 1]: each interval is `interval × (1 + jitter × (2r − 1))`
   * for r = random(), i.e. within interval × (1 ± jitter); the first probe of
   * a session waits `r × intervalMs × jitter`.
   */
  readonly jitterFraction: number;
  /** Consecutive failures that turn a healthy endpoint unhealthy (integer >= 1). */
  readonly unhealthyThreshold: number;
  /** Consecutive successes that turn an unhealthy endpoint healthy (integer >= 1). */
  readonly healthyThreshold: number;
  /** Interval while unhealthy, in ms (> 0); defaults to `intervalMs`. Jittered the same way. */
  readonly unhealthyIntervalMs?: number;
}

/**
 * Checks one endpoint. Resolves when it is fit to serve, rejects (with any
 * reason) when it is not. It must honour `signal`: the checker aborts it on
 * timeout, on removal of the endpoint and on `stop()`, and ignores whatever
 * the promise does afterwards. A synchronous throw counts as a failure.
 */
export type HealthProbe = (endpointName: string, signal: AbortSignal) => Promise<void>;

export interface HealthCheckerOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1), e.g. Math.random; drives jitter only. */
  readonly random: () => number;
  readonly config: HealthCheckConfig;
  readonly probe: HealthProbe;
  /**
   * Called on each transition unknown→healthy, unknown→unhealthy and
   * healthy↔unhealthy, after the checker's own state (`health`, `stats`) is
   * updated. Only ever called from a timer or a probe's settlement, never
   * synchronously from `setEndpoints`, `checkNow` or `stop`, and never for an
   * endpoint after its removal or after `stop()`. It must not throw.
   */
  readonly onChange: (endpointName: string, health: "healthy" | "unhealthy") => void;
}

/** Counters of one endpoint's session (reset when the endpoint is removed and re-added). */
export interface HealthCheckStats {
  /** Probes started. */
  readonly attempts: number;
  /** Probes that resolved in time. */
  readonly successes: number;
  /** Probes that rejected, threw or timed out (timeouts included). */
  readonly failures: number;
  /** Failures that were timeouts. */
  readonly timeouts: number;
  /** Successes since the last failure. */
  readonly consecutiveSuccesses: number;
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Attempt {
  readonly controller: AbortController;
  readonly timeout: { clear(): void };
}

interface Session {
  readonly name: string;
  health: ActiveHealth;
  readonly stats: Mutable<HealthCheckStats>;
  /** The scheduled next probe, when idle. */
  timer: { clear(): void } | undefined;
  /** The probe in flight, if any; a settlement for any other attempt is stale. */
  attempt: Attempt | undefined;
}

/**
 * Runs one check session per endpoint name.
 *
 * Threshold rule: from "unknown" the first result decides at once (one
 * success → healthy, one failure → unhealthy), so a new endpoint takes
 * traffic, or is held back, after a single probe rather than after up to
 * `healthyThreshold` intervals. Afterwards `unhealthyThreshold` consecutive
 * failures are needed to leave healthy and `healthyThreshold` consecutive
 * successes to leave unhealthy; the consecutive counters are not reset by a
 * transition. The next interval is measured from the end of a probe (its
 * settlement or timeout), so probes of one endpoint never overlap.
 */
export class HealthChecker {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #config: Required<HealthCheckConfig>;
  readonly #probe: HealthProbe;
  readonly #onChange: HealthCheckerOptions["onChange"];
  readonly #sessions = new Map<string, Session>();
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#config = validateHealthCheckConfig(options.config);
    this.#probe = options.probe;
    this.#onChange = options.onChange;
  }

  /**
   * Makes `names` the checked set: new names start a session in "unknown"
   * whose first probe runs after a random delay in [0, intervalMs × jitter];
   * sessions of absent names end (their in-flight probe is aborted, their
   * timers cleared, nothing fires for them afterwards). Names kept keep their
   * state. No-op after `stop()`.
   */
  setEndpoints(names: readonly string[]): void {
    if (this.#stopped) return;
    const wanted = new Set(names);
    for (const [name, session] of this.#sessions) {
      if (!wanted.has(name)) this.#close(session, "endpoint removed");
    }
    for (const name of wanted) {
      if (this.#sessions.has(name)) continue;
      const session: Session = { name, health: "unknown", stats: zeroStats(), timer: undefined, attempt: undefined };
      this.#sessions.set(name, session);
      const initialDelay = this.#unitRandom() * this.#config.intervalMs * this.#config.jitterFraction;
      session.timer = this.#clock.setTimeout(() => this.#start(session), initialDelay);
    }
  }

  /**
   * Probes `name` now (the probe function is invoked synchronously) instead
   * of at its next scheduled time; the regular schedule resumes from this
   * probe's end. Returns false, doing nothing, when `name` is not checked,
   * after `stop()`, or when a probe of `name` is already in flight (its
   * result is as fresh as the one asked for).
   */
  checkNow(name: string): boolean {
    const session = this.#stopped ? undefined : this.#sessions.get(name);
    if (!session || session.attempt) return false;
    this.#start(session);
    return true;
  }

  /** Current health of `name`; "unknown" before its first result and for names not checked. */
  health(name: string): ActiveHealth {
    return this.#sessions.get(name)?.health ?? "unknown";
  }

  /** A snapshot of the counters of `name`, or undefined when it is not checked. */
  stats(name: string): HealthCheckStats | undefined {
    const session = this.#sessions.get(name);
    return session ? { ...session.stats } : undefined;
  }

  /** Ends every session as if removed. Idempotent; afterwards every method is a no-op and nothing fires. */
  stop(): void {
    this.#stopped = true;
    for (const session of this.#sessions.values()) this.#close(session, "health checker stopped");
  }

  #start(session: Session): void {
    session.timer?.clear();
    session.timer = undefined;
    const controller = new AbortController();
    const attempt: Attempt = {
      controller,
      timeout: this.#clock.setTimeout(() => this.#settle(session, attempt, "timeout"), this.#config.timeoutMs),
    };
    session.attempt = attempt;
    session.stats.attempts++;
    let result: Promise<void>;
    try {
      result = this.#probe(session.name, controller.signal);
    } catch (error) {
      result = Promise.reject(error);
    }
    // Settlement is always asynchronous, hence so is onChange.
    Promise.resolve(result).then(
      () => this.#settle(session, attempt, "success"),
      () => this.#settle(session, attempt, "failure"),
    );
  }

  #settle(session: Session, attempt: Attempt, result: "success" | "failure" | "timeout"): void {
    if (session.attempt !== attempt) return; // stale: timed out already, removed, or stopped
    session.attempt = undefined;
    attempt.timeout.clear();
    const { stats } = session;
    if (result === "timeout") {
      stats.timeouts++;
      attempt.controller.abort(new DOMException(`health check timed out after ${this.#config.timeoutMs} ms`, "TimeoutError"));
    }
    const change = result === "success" ? this.#succeeded(session) : this.#failed(session);
    const interval = session.health === "unhealthy" ? this.#config.unhealthyIntervalMs : this.#config.intervalMs;
    const jitter = this.#config.jitterFraction * (2 * this.#unitRandom() - 1);
    session.timer = this.#clock.setTimeout(() => this.#start(session), interval * (1 + jitter));
    if (change) this.#onChange(session.name, change);
  }

  #succeeded(session: Session): "healthy" | undefined {
    const { stats } = session;
    stats.successes++;
    stats.consecutiveSuccesses++;
    stats.consecutiveFailures = 0;
    const flips =
      session.health === "unknown" ||
      (session.health === "unhealthy" && stats.consecutiveSuccesses >= this.#config.healthyThreshold);
    if (!flips) return undefined;
    session.health = "healthy";
    return "healthy";
  }

  #failed(session: Session): "unhealthy" | undefined {
    const { stats } = session;
    stats.failures++;
    stats.consecutiveFailures++;
    stats.consecutiveSuccesses = 0;
    const flips =
      session.health === "unknown" ||
      (session.health === "healthy" && stats.consecutiveFailures >= this.#config.unhealthyThreshold);
    if (!flips) return undefined;
    session.health = "unhealthy";
    return "unhealthy";
  }

  #close(session: Session, why: string): void {
    this.#sessions.delete(session.name);
    session.timer?.clear();
    session.timer = undefined;
    const { attempt } = session;
    session.attempt = undefined;
    if (attempt) {
      attempt.timeout.clear();
      attempt.controller.abort(new DOMException(why, "AbortError"));
    }
  }

  /** random() clamped to [0, 1), so a misbehaving source cannot push intervals out of bounds. */
  #unitRandom(): number {
    const r = this.#random();
    return r >= 0 && r < 1 ? r : r >= 1 ? 1 - Number.EPSILON : 0;
  }
}

function zeroStats(): Mutable<HealthCheckStats> {
  return { attempts: 0, successes: 0, failures: 0, timeouts: 0, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}

/**
 * Checks a config and fills `unhealthyIntervalMs`. Throws a RangeError whose
 * message is `healthCheck.<field>: <problem>`.
 */
export function validateHealthCheckConfig(config: HealthCheckConfig): Required<HealthCheckConfig> {
  const { intervalMs, timeoutMs, jitterFraction, unhealthyThreshold, healthyThreshold } = config;
  const unhealthyIntervalMs = config.unhealthyIntervalMs ?? intervalMs;
  const positive: Array<[string, number]> = [
    ["intervalMs", intervalMs],
    ["timeoutMs", timeoutMs],
    ["unhealthyIntervalMs", unhealthyIntervalMs],
  ];
  for (const [field, value] of positive) {
    if (!(Number.isFinite(value) && value > 0)) fail(field, `expected a finite number > 0, got ${value}`);
  }
  if (!(jitterFraction >= 0 && jitterFraction <= 1)) fail("jitterFraction", `expected a number in [0, 1], got ${jitterFraction}`);
  for (const [field, value] of [["unhealthyThreshold", unhealthyThreshold], ["healthyThreshold", healthyThreshold]] as const) {
    if (!(Number.isInteger(value) && value >= 1)) fail(field, `expected an integer >= 1, got ${value}`);
  }
  return { intervalMs, timeoutMs, jitterFraction, unhealthyThreshold, healthyThreshold, unhealthyIntervalMs };
}

function fail(field: string, problem: string): never {
  throw new RangeError(`healthCheck.${field}: ${problem}`);
}
