/**
 * Learned per-model costs for scheduling: how long a cold load takes and how
 * long a request holds a slot, as exponentially weighted moving averages of
 * what backends report. Until a model has been observed, configured defaults
 * apply.
 */
import type { CostModel } from "./types.js";

/** Weight of a new observation in the moving average. */
const ALPHA = 0.2;
/** A load_duration above this is a cold load, not just queueing or a warm runner. */
const COLD_LOAD_THRESHOLD_MS = 250;

/** EWMA-based CostModel fed with call outcomes. */
export class LearnedCosts implements CostModel {
  readonly #load = new Map<string, number>();
  readonly #service = new Map<string, number>();
  readonly #defaultLoadMs: number;
  readonly #defaultServiceMs: number;

  constructor(defaultLoadMs: number, defaultServiceMs: number) {
    this.#defaultLoadMs = defaultLoadMs;
    this.#defaultServiceMs = defaultServiceMs;
  }

  loadMs(model: string | undefined): number {
    return (model !== undefined ? this.#load.get(model) : undefined) ?? this.#defaultLoadMs;
  }

  serviceMs(model: string | undefined): number {
    return (model !== undefined ? this.#service.get(model) : undefined) ?? this.#defaultServiceMs;
  }

  /**
   * Records one completed call: how long it held the slot, and the
   * load_duration the backend reported (counted only when it shows a cold load).
   */
  observe(model: string, serviceMs: number, loadMs: number | undefined): void {
    const cold = loadMs !== undefined && loadMs >= COLD_LOAD_THRESHOLD_MS;
    // The service time predicts waits for resident copies, which pay no load: leave the load out.
    update(this.#service, model, cold ? Math.max(0, serviceMs - loadMs) : serviceMs);
    if (cold) update(this.#load, model, loadMs);
  }

  /** Current estimates, for status pages. */
  snapshot(): Record<string, { loadMs?: number; serviceMs?: number }> {
    const out: Record<string, { loadMs?: number; serviceMs?: number }> = {};
    for (const [model, ms] of this.#service) out[model] = { ...out[model], serviceMs: Math.round(ms) };
    for (const [model, ms] of this.#load) out[model] = { ...out[model], loadMs: Math.round(ms) };
    return out;
  }
}

function update(averages: Map<string, number>, model: string, value: number): void {
  const previous = averages.get(model);
  averages.set(model, previous === undefined ? value : previous + ALPHA * (value - previous));
}
