/**
 * Abortable waits that last at least the requested time on the monotonic
 * clock. A plain timer can fire up to a few milliseconds early as measured by
 * `hrtime` (libuv schedules from its cached loop time), which would make a
 * reported `load_duration` shorter than the configured load time.
 */
import { setTimeout as delay } from "node:timers/promises";

/**
 * Resolves after at least `ms` milliseconds. Rejects with `signal.reason` when
 * the signal aborts first; the pending timer is cleared either way.
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + ms;
  // A few rounds absorb early wake-ups; each round waits only for the remainder.
  for (let round = 0; round < 4; round++) {
    const left = until - performance.now();
    if (left <= 0) return;
    try {
      await delay(Math.ceil(left), undefined, { signal });
    } catch (error) {
      throw signal.aborted ? signal.reason : error;
    }
  }
}

/** Resolves never; rejects with `signal.reason` once it aborts (a stalled stream's wait). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
