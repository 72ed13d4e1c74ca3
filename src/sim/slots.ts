/**
 * Per-model parallel slots (OLLAMA_NUM_PARALLEL).
 *
 * Ollama guards each runner with a `golang.org/x/sync/semaphore.Weighted`,
 * which is FIFO and unbounded: requests for a loaded model wait in arrival
 * order, never get a 503, and send no bytes while they wait. A waiter whose
 * client goes away leaves the queue at once.
 */

/** Releases a slot. Idempotent: only the first call has an effect. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  fail: (reason: unknown) => void;
  detach: () => void;
}

/** A FIFO counting semaphore whose waits can be abandoned through an AbortSignal. */
export class Semaphore {
  #capacity: number;
  #inUse = 0;
  #waiters: Waiter[] = [];

  /** @param capacity slots available; at least 1. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Slots currently held. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a slot without waiting, or returns `undefined` when none is free
   * or others are already queued (a newcomer never overtakes the queue).
   */
  tryAcquire(): ReleaseSlot | undefined {
    if (this.#waiters.length > 0 || this.#inUse >= this.#capacity) return undefined;
    this.#inUse++;
    return this.#releaser();
  }

  /**
   * Resolves with a release function once a slot is free, in FIFO order.
   * Rejects with the signal's reason if it aborts first; the waiter is then
   * removed and holds nothing.
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: resolve,
        fail: reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Changes the number of slots; growing wakes waiters, shrinking lets holders finish. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#drain();
  }

  /** Rejects every waiter (used on shutdown). Held slots are unaffected. */
  rejectAll(reason: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.detach();
      waiter.fail(reason);
    }
  }

  #releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#inUse < this.#capacity) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) break;
      waiter.detach();
      this.#inUse++;
      waiter.grant(this.#releaser());
    }
  }
}

/** One {@link Semaphore} per model key, all sharing the same capacity. */
export class SlotTable {
  #capacity: number;
  #byModel = new Map<string, Semaphore>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The semaphore for a model key, created on first use. */
  forModel(key: string): Semaphore {
    let semaphore = this.#byModel.get(key);
    if (semaphore === undefined) {
      semaphore = new Semaphore(this.#capacity);
      this.#byModel.set(key, semaphore);
    }
    return semaphore;
  }

  /** Applies a new NUM_PARALLEL to every model. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    for (const semaphore of this.#byModel.values()) semaphore.setCapacity(capacity);
  }

  /** Rejects all waiters of all models. */
  rejectAll(reason: unknown): void {
    for (const semaphore of this.#byModel.values()) semaphore.rejectAll(reason);
  }
}
