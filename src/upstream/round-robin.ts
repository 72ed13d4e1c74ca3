/**
 * Plain round robin over a static endpoint list. Weighted, health-aware and
 * Ollama-aware policies replace it in the balancing work (issue 4); the
 * contract stays: `pick()` is synchronous and never throws.
 */
import type { Endpoint } from "./endpoint.js";

/** Picks endpoints in turn. */
export class RoundRobin {
  readonly #endpoints: readonly Endpoint[];
  #next = 0;

  constructor(endpoints: readonly Endpoint[]) {
    this.#endpoints = [...endpoints];
  }

  /** The endpoints in configuration order. */
  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** Returns the next endpoint, or undefined when there is none. */
  pick(): Endpoint | undefined {
    if (this.#endpoints.length === 0) return undefined;
    const endpoint = this.#endpoints[this.#next % this.#endpoints.length];
    this.#next = (this.#next + 1) % this.#endpoints.length;
    return endpoint;
  }
}
