/**
 * Event-driven waits for tests: `until(what, probe)` resolves with `probe()`
 * as soon as it is defined — checked at once and after every `notify()` —
 * and rejects after `timeoutMs`. No polling, no sleeps; nothing is left
 * behind once a wait settles.
 */
export class EventWaits {
  readonly #waiters = new Set<() => void>();
  readonly #timeoutMs: number;
  readonly #label: string;

  constructor(timeoutMs: number, label = "") {
    this.#timeoutMs = timeoutMs;
    this.#label = label;
  }

  /** Re-checks every pending wait (call after each event). */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves with `probe()` once it is defined; `context()` adds detail to the timeout message. */
  until<T>(what: string, probe: () => T | undefined, context: () => string = () => ""): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${this.#label}no ${what} within ${this.#timeoutMs} ms${context()}`));
      }, this.#timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
