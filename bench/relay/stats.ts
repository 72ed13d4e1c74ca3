/**
 * Number crunching for the relay benchmark: percentiles (nearest rank),
 * min/median/max over repetitions, a growable sample buffer. Pure; unit-tested
 * in test/unit/bench/relay-stats.test.ts.
 */
import type { LatencySummary } from "./protocol.js";

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** p50/p90/p99/p99.9/max of an ascending array. */
export function latencySummary(sorted: ArrayLike<number>): LatencySummary {
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** Ascending copy. */
export function sortedOf(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** min / median / max of one figure over repetitions (NaN values, i.e. not measured, are left out). */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** The spread of `values`; all NaN (n = 0) when none is a number. The median of an even count is the lower middle one (a value that was measured). */
export function spread(values: readonly number[]): Spread {
  const xs = values.filter((v) => Number.isFinite(v) || v === Infinity).sort((a, b) => a - b);
  if (xs.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  return { min: xs[0]!, median: xs[Math.floor((xs.length - 1) / 2)]!, max: xs[xs.length - 1]!, n: xs.length };
}

/** A Float64Array that grows by doubling; for hundreds of thousands of latency samples. */
export class SampleBuffer {
  #data: Float64Array;
  #length = 0;

  constructor(capacity = 1024) {
    this.#data = new Float64Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  /** The samples, ascending (a copy). */
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort();
  }
}
