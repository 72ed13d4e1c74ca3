/**
 * A manual {@link Clock} for tests of timer-driven upstream logic (health
 * checks, ejections), plus a seeded PRNG. No real time passes: tests move the
 * clock explicitly and never sleep.
 */
import type { Clock } from "../../src/upstream/types.js";

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * Time starts at `start` (default 0) and moves only through `advance` /
 * `advanceAsync`. Timers fire in due order, ties in scheduling order; a timer
 * scheduled by a callback during an advance fires in the same advance when it
 * falls due before the target time. A negative or NaN delay counts as 0, so
 * it fires on the next advance (even `advance(0)`), never synchronously.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): { clear(): void } {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, due: this.#now + delay, callback });
    return { clear: () => void this.#timers.delete(id) };
  }

  /** Timers scheduled and neither fired nor cleared. */
  pending(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, or undefined when none. */
  nextDue(): number | undefined {
    return this.#earliest(Infinity)?.due;
  }

  /** Moves time forward by `ms`, firing due timers synchronously. Use when no promise is involved. */
  advance(ms: number): void {
    const target = this.#target(ms);
    for (let timer = this.#earliest(target); timer; timer = this.#earliest(target)) this.#fire(timer);
    this.#now = target;
  }

  /**
   * Like `advance`, but lets pending promise continuations run (one
   * event-loop turn) before and after each timer, at that timer's time. Use
   * when callbacks resolve promises whose handlers schedule further timers.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#target(ms);
    for (;;) {
      await flushMicrotasks();
      const timer = this.#earliest(target);
      if (!timer) break;
      this.#fire(timer);
    }
    this.#now = target;
  }

  #target(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`advance: expected ms >= 0, got ${ms}`);
    return this.#now + ms;
  }

  #earliest(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.due > limit) continue;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }

  #fire(timer: FakeTimer): void {
    this.#timers.delete(timer.id);
    this.#now = timer.due;
    timer.callback();
  }
}

/** Resolves after every queued promise continuation has run (one real event-loop turn; no time passes on a FakeClock). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** mulberry32, a tiny seeded PRNG uniform in [0, 1) (one implementation: the simulator's). */
export { mulberry32 } from "../../src/sim/prng.js";
