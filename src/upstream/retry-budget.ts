/**
 * A retry budget in Envoy's style: concurrent retries may not exceed
 * `budgetPercent` of the calls in flight, but `minRetries` are always allowed
 * (so a quiet gateway can still fail over). Retries beyond the budget are not
 * made: the failure goes to the caller, and a degraded fleet is not hit with
 * extra load.
 */
export class RetryBudget {
  readonly #percent: number;
  readonly #minRetries: number;
  #active = 0;
  #retrying = 0;

  constructor(budgetPercent: number, minRetries: number) {
    this.#percent = budgetPercent;
    this.#minRetries = minRetries;
  }

  /** A call started; returns the function to call when it ends. */
  callStarted(): () => void {
    this.#active += 1;
    let ended = false;
    return () => {
      if (!ended) this.#active -= 1;
      ended = true;
    };
  }

  /** Asks to retry; returns the release function, or undefined when over budget. */
  tryRetry(): (() => void) | undefined {
    const allowed = Math.max(this.#minRetries, Math.floor((this.#active * this.#percent) / 100));
    if (this.#retrying >= allowed) return undefined;
    this.#retrying += 1;
    let released = false;
    return () => {
      if (!released) this.#retrying -= 1;
      released = true;
    };
  }

  /** Counters for the status page. */
  snapshot(): { active: number; retrying: number } {
    return { active: this.#active, retrying: this.#retrying };
  }
}
