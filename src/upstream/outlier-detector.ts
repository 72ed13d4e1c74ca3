/**
 * Passive outlier detection, after Envoy's consecutive-error detectors
 * (`outlier_detection_impl.h`, split_external_local_origin_errors mode):
 * outcomes of real requests are counted per endpoint, and an endpoint with
 * too many consecutive failures is ejected for a while. gRPC's A50 success
 * rate and failure percentage algorithms need 5+ hosts; this works with 2.
 * Knows nothing of HTTP or Ollama: the caller classifies each outcome.
 */
import type { Clock } from "./types.js";

/** Thresholds and ejection times. Validated by the constructor. */
export interface OutlierConfig {
  /** Consecutive local-origin failures that eject (integer >= 0; 0 disables). */
  readonly consecutiveLocalFailures: number;
  /** Consecutive upstream 5xx responses that eject (integer >= 0; 0 disables). */
  readonly consecutive5xx: number;
  /** Ejection time of a first ejection, in ms (> 0). */
  readonly baseEjectionMs: number;
  /** Upper bound of one ejection, in ms (>= baseEjectionMs). */
  readonly maxEjectionMs: number;
  /** Share of endpoints that may be ejected at once, in [0, 100]; one endpoint always may. */
  readonly maxEjectionPercent: number;
}

/** Envoy's and Istio's defaults (maxEjectionPercent as in gRPC A50 and Istio). */
export const DEFAULT_OUTLIER_CONFIG: OutlierConfig = {
  consecutiveLocalFailures: 5,
  consecutive5xx: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
};

/**
 * How one request to an endpoint ended, as classified by the caller:
 * - "success": a response the endpoint produced correctly;
 * - "local_failure": no usable exchange — connect refused, reset, connect or
 *   response timeout, a stream truncated mid-way;
 * - "upstream_5xx": the endpoint answered 5xx (except 503 busy);
 * - "ignored": says nothing about the endpoint — client cancellations, our
 *   own deadline expiries, 4xx, 503 busy. Moves no counter.
 */
export type RequestOutcome = "success" | "local_failure" | "upstream_5xx" | "ignored";

export interface OutlierDetectorOptions {
  readonly clock: Clock;
  readonly config: OutlierConfig;
  /**
   * Called synchronously from the `record` call that triggers the ejection,
   * after `isEjected(name)` has become true, so the caller can exclude the
   * endpoint before its next pick. `untilMs` is the clock time of the
   * uneject. Must not throw.
   */
  readonly onEject: (endpointName: string, untilMs: number) => void;
  /**
   * Called from the uneject timer, after `isEjected(name)` has become false.
   * Never called for an endpoint removed while ejected, nor after `stop()`.
   * Must not throw.
   */
  readonly onUneject: (endpointName: string) => void;
}

/** A snapshot of one endpoint's detector state. */
export interface OutlierStats {
  readonly consecutiveLocalFailures: number;
  readonly consecutive5xx: number;
  /** Ejections since the endpoint was added. */
  readonly ejections: number;
  /** Ejections refused because of the max-ejection-percent cap (Envoy's ejections_overflow). */
  readonly overflows: number;
  /** Clock time the current ejection ends, or undefined when not ejected. */
  readonly ejectedUntil: number | undefined;
  /**
   * While ejected: the multiplier of the current ejection. Otherwise: the
   * previous multiplier decayed to now (0 when none is remembered); the next
   * ejection would use this plus one.
   */
  readonly multiplier: number;
}

interface EndpointState {
  consecutiveLocal: number;
  consecutive5xx: number;
  ejections: number;
  overflows: number;
  /** Multiplier of the latest ejection (0: none recent). */
  multiplier: number;
  /** When the endpoint last stopped being ejected (or was added): the start of decay. */
  sinceMs: number;
  ejection: { readonly untilMs: number; readonly timer: { clear(): void } } | undefined;
}

/**
 * Counts consecutive failures per endpoint and ejects on a threshold.
 *
 * Rules:
 * - Local failures and 5xx are counted apart. A success resets both; a 5xx
 *   also resets the local count (the connection worked); a local failure
 *   leaves the 5xx count alone; "ignored" touches nothing.
 * - Outcomes recorded while the endpoint is ejected are dropped (its
 *   counters restart from zero at uneject anyway).
 * - Ejection time is `min(baseEjectionMs × m, maxEjectionMs)`. Each ejection
 *   sets m = m' + 1, where m' is the previous ejection's multiplier minus one
 *   per whole `baseEjectionMs` spent un-ejected since it ended (floored at
 *   0). So the first ejection lasts the base time, back-to-back ejections
 *   grow by the base time each, and the history fades after m' base
 *   intervals. m never exceeds ceil(max / base), so the fade from the cap
 *   takes bounded time. (gRPC A50 decrements once per detector interval;
 *   this is the same with the interval set to the base ejection time,
 *   computed lazily instead of on a timer.)
 * - Cap: an ejection happens only if afterwards at most
 *   `max(1, floor(n × maxEjectionPercent / 100))` of the n current
 *   endpoints are ejected. A refused ejection counts an overflow and keeps
 *   the counter, so the next failure past the threshold tries again once a
 *   slot is free. Removing endpoints never unejects the others early.
 */
export class OutlierDetector {
  readonly #clock: Clock;
  readonly #config: OutlierConfig;
  readonly #onEject: OutlierDetectorOptions["onEject"];
  readonly #onUneject: OutlierDetectorOptions["onUneject"];
  readonly #maxMultiplier: number;
  readonly #endpoints = new Map<string, EndpointState>();
  #stopped = false;

  constructor(options: OutlierDetectorOptions) {
    this.#clock = options.clock;
    this.#config = validateOutlierConfig(options.config);
    this.#onEject = options.onEject;
    this.#onUneject = options.onUneject;
    this.#maxMultiplier = Math.ceil(this.#config.maxEjectionMs / this.#config.baseEjectionMs);
  }

  /**
   * Makes `names` the tracked set. New names start with zero counters;
   * absent names are forgotten (an ejection timer is cleared without
   * `onUneject`). Calls no callback. No-op after `stop()`.
   */
  setEndpoints(names: readonly string[]): void {
    if (this.#stopped) return;
    const wanted = new Set(names);
    for (const [name, state] of this.#endpoints) {
      if (wanted.has(name)) continue;
      state.ejection?.timer.clear();
      this.#endpoints.delete(name);
    }
    const now = this.#clock.now();
    for (const name of wanted) {
      if (this.#endpoints.has(name)) continue;
      this.#endpoints.set(name, {
        consecutiveLocal: 0,
        consecutive5xx: 0,
        ejections: 0,
        overflows: 0,
        multiplier: 0,
        sinceMs: now,
        ejection: undefined,
      });
    }
  }

  /**
   * Counts one outcome of a request to `name`; may eject it (calling
   * `onEject` synchronously, see there). Ignores names not tracked, and
   * everything after `stop()`.
   */
  record(name: string, outcome: RequestOutcome): void {
    const state = this.#stopped ? undefined : this.#endpoints.get(name);
    if (!state || state.ejection || outcome === "ignored") return;
    const { consecutiveLocalFailures: localLimit, consecutive5xx: limit5xx } = this.#config;
    switch (outcome) {
      case "success":
        state.consecutiveLocal = 0;
        state.consecutive5xx = 0;
        return;
      case "local_failure":
        state.consecutiveLocal++;
        if (localLimit > 0 && state.consecutiveLocal >= localLimit) this.#eject(name, state);
        return;
      case "upstream_5xx":
        state.consecutiveLocal = 0;
        state.consecutive5xx++;
        if (limit5xx > 0 && state.consecutive5xx >= limit5xx) this.#eject(name, state);
        return;
    }
  }

  /**
   * Ejects `name` on another detector's finding (e.g. success-rate
   * statistics), under the same multiplier, cap and timers as the
   * consecutive-failure rules. Returns whether it is ejected afterwards
   * (false when untracked, stopped, or refused by the cap).
   */
  eject(name: string): boolean {
    const state = this.#stopped ? undefined : this.#endpoints.get(name);
    if (!state) return false;
    if (!state.ejection) this.#eject(name, state);
    return state.ejection !== undefined;
  }

  /** Whether `name` is ejected now (false for names not tracked). */
  isEjected(name: string): boolean {
    return this.#endpoints.get(name)?.ejection !== undefined;
  }

  /** A snapshot of `name`'s state, or undefined when it is not tracked. */
  stats(name: string): OutlierStats | undefined {
    const state = this.#endpoints.get(name);
    if (!state) return undefined;
    return {
      consecutiveLocalFailures: state.consecutiveLocal,
      consecutive5xx: state.consecutive5xx,
      ejections: state.ejections,
      overflows: state.overflows,
      ejectedUntil: state.ejection?.untilMs,
      multiplier: state.ejection ? state.multiplier : this.#decayed(state),
    };
  }

  /** Clears every timer and forgets every endpoint. Idempotent; afterwards nothing fires and every method is a no-op. */
  stop(): void {
    this.#stopped = true;
    for (const state of this.#endpoints.values()) state.ejection?.timer.clear();
    this.#endpoints.clear();
  }

  #eject(name: string, state: EndpointState): void {
    if (this.#ejectedCount() + 1 > this.#maxEjected()) {
      state.overflows++;
      return;
    }
    const { baseEjectionMs, maxEjectionMs } = this.#config;
    state.multiplier = Math.min(this.#decayed(state) + 1, this.#maxMultiplier);
    state.ejections++;
    const untilMs = this.#clock.now() + Math.min(baseEjectionMs * state.multiplier, maxEjectionMs);
    const timer = this.#clock.setTimeout(() => this.#uneject(name, state), untilMs - this.#clock.now());
    state.ejection = { untilMs, timer };
    this.#onEject(name, untilMs);
  }

  #uneject(name: string, state: EndpointState): void {
    if (this.#endpoints.get(name) !== state || !state.ejection) return; // removed or stopped meanwhile
    state.ejection = undefined;
    state.consecutiveLocal = 0;
    state.consecutive5xx = 0;
    state.sinceMs = this.#clock.now();
    this.#onUneject(name);
  }

  /** The multiplier after one decrement per whole base interval spent un-ejected. */
  #decayed(state: EndpointState): number {
    // Clamped: systemClock.now() is wall time and may step backwards.
    const elapsed = Math.max(0, this.#clock.now() - state.sinceMs);
    return Math.max(0, state.multiplier - Math.floor(elapsed / this.#config.baseEjectionMs));
  }

  #ejectedCount(): number {
    let count = 0;
    for (const state of this.#endpoints.values()) if (state.ejection) count++;
    return count;
  }

  #maxEjected(): number {
    return Math.max(1, Math.floor((this.#endpoints.size * this.#config.maxEjectionPercent) / 100));
  }
}

/** Checks a config. Throws a RangeError whose message is `outlierDetection.<field>: <problem>`. */
export function validateOutlierConfig(config: OutlierConfig): OutlierConfig {
  const { consecutiveLocalFailures, consecutive5xx, baseEjectionMs, maxEjectionMs, maxEjectionPercent } = config;
  for (const [field, value] of [["consecutiveLocalFailures", consecutiveLocalFailures], ["consecutive5xx", consecutive5xx]] as const) {
    if (!(Number.isInteger(value) && value >= 0)) fail(field, `expected an integer >= 0 (0 disables), got ${value}`);
  }
  if (!(Number.isFinite(baseEjectionMs) && baseEjectionMs > 0)) fail("baseEjectionMs", `expected a finite number > 0, got ${baseEjectionMs}`);
  if (!(Number.isFinite(maxEjectionMs) && maxEjectionMs >= baseEjectionMs)) {
    fail("maxEjectionMs", `expected a finite number >= baseEjectionMs (${baseEjectionMs}), got ${maxEjectionMs}`);
  }
  if (!(maxEjectionPercent >= 0 && maxEjectionPercent <= 100)) fail("maxEjectionPercent", `expected a number in [0, 100], got ${maxEjectionPercent}`);
  return { consecutiveLocalFailures, consecutive5xx, baseEjectionMs, maxEjectionMs, maxEjectionPercent };
}

function fail(field: string, problem: string): never {
  throw new RangeError(`outlierDetection.${field}: ${problem}`);
}
