/**
 * Statistical outlier detection, as gRPC A50 / Envoy define it, run every
 * `intervalMs` over the outcomes counted in that interval:
 *
 * - success rate: among endpoints with at least `requestVolume` outcomes
 *   (and at least `minimumHosts` such endpoints), eject those whose success
 *   rate is below mean − stdevFactor/1000 × stdev;
 * - failure percentage: among endpoints with at least `requestVolume`
 *   outcomes (at least `minimumHosts` of them; 2 works for a two-backend
 *   fleet), eject those whose failure share is at least `threshold` percent.
 *
 * Counting uses the same outcomes as the consecutive rules (cancellations,
 * deadlines, 4xx and busy are never counted). Ejection itself (duration,
 * multiplier, the max-percent cap, unejection) is the OutlierDetector's.
 */
import type { Clock } from "./types.js";

/** Settings; a section that is undefined is off. */
export interface StatisticalOutlierConfig {
  intervalMs: number;
  successRate?: { minimumHosts: number; requestVolume: number; stdevFactor: number };
  failurePercentage?: { minimumHosts: number; requestVolume: number; threshold: number };
}

interface Counts {
  success: number;
  failure: number;
}

/** Counts outcomes per interval and asks `eject(name)` for the outliers. */
export class SuccessRateDetector {
  readonly #config: StatisticalOutlierConfig;
  readonly #clock: Clock;
  readonly #eject: (name: string, why: string) => void;
  #counts = new Map<string, Counts>();
  #timer: { clear(): void } | undefined;
  #stopped = false;

  constructor(options: { clock: Clock; config: StatisticalOutlierConfig; eject(name: string, why: string): void }) {
    this.#config = options.config;
    this.#clock = options.clock;
    this.#eject = options.eject;
    if (this.#config.successRate !== undefined || this.#config.failurePercentage !== undefined) this.#schedule();
  }

  /** Counts one outcome ("ignored" outcomes are not counted). */
  record(name: string, outcome: "success" | "local_failure" | "upstream_5xx" | "ignored"): void {
    if (this.#stopped || outcome === "ignored") return;
    const counts = this.#counts.get(name) ?? { success: 0, failure: 0 };
    if (outcome === "success") counts.success++;
    else counts.failure++;
    this.#counts.set(name, counts);
  }

  /** Evaluates the interval now (the timer calls this); exported for tests. */
  evaluate(): void {
    const counts = this.#counts;
    this.#counts = new Map();
    const { successRate, failurePercentage } = this.#config;
    if (successRate !== undefined) {
      const rates = [...counts].filter(([, c]) => c.success + c.failure >= successRate.requestVolume).map(([name, c]) => [name, c.success / (c.success + c.failure)] as const);
      if (rates.length >= successRate.minimumHosts) {
        const mean = rates.reduce((sum, [, r]) => sum + r, 0) / rates.length;
        const stdev = Math.sqrt(rates.reduce((sum, [, r]) => sum + (r - mean) ** 2, 0) / rates.length);
        const threshold = mean - (successRate.stdevFactor / 1000) * stdev;
        for (const [name, rate] of rates) {
          if (rate < threshold) this.#eject(name, `success rate ${(rate * 100).toFixed(1)}% below ${(threshold * 100).toFixed(1)}%`);
        }
      }
    }
    if (failurePercentage !== undefined) {
      const eligible = [...counts].filter(([, c]) => c.success + c.failure >= failurePercentage.requestVolume);
      if (eligible.length >= failurePercentage.minimumHosts) {
        for (const [name, c] of eligible) {
          const percent = (100 * c.failure) / (c.success + c.failure);
          if (percent >= failurePercentage.threshold) this.#eject(name, `failure rate ${percent.toFixed(1)}% >= ${failurePercentage.threshold}%`);
        }
      }
    }
  }

  /** Stops the interval timer. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.clear();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.evaluate();
      this.#schedule();
    }, this.#config.intervalMs);
  }
}
