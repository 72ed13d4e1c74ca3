/**
 * Which models are loaded, modelled on Ollama's scheduler (server/sched.go).
 *
 * - A request for a resident model with the same `num_ctx` takes the fast
 *   path: no queue, no load cost.
 * - Any other request joins one FIFO of pending requests, served one at a
 *   time. It may wait for an idle model to be evicted (least recently used,
 *   when `maxLoadedModels` are resident) and then pays the model's load time.
 * - While `maxQueue` requests are pending, a further request that needs a
 *   load fails at once with {@link QueueFullError} (HTTP 503).
 * - Each request holds a reference while it runs. When the count drops to
 *   zero the keep-alive timer starts; keep_alive 0 unloads at once, a negative
 *   keep_alive never expires. The last request's keep_alive wins.
 * - A client that goes away while pending, or during its load, leaves the
 *   queue and aborts that load.
 */
import { KEEP_FOREVER } from "../ollama/keep-alive.js";
import type { CatalogueEntry } from "./model-catalogue.js";
import { sleep } from "./sleep.js";

/** Ollama's ErrMaxQueue; note the two spaces after "again.". */
export class QueueFullError extends Error {
  constructor() {
    super("server busy, please try again.  maximum pending requests exceeded");
    this.name = "QueueFullError";
  }
}

/** What a request needs from the scheduler. */
export interface RunnerRequest {
  readonly key: string;
  readonly entry: CatalogueEntry;
  readonly loadMs: number;
  /** Idle time before unload, in ms; 0 = unload when idle; {@link KEEP_FOREVER} = never. */
  readonly keepAliveMs: number;
  readonly numCtx: number;
  /** Aborts the wait (and the load, if this request is loading). */
  readonly signal: AbortSignal;
  /** Called synchronously when the request has to join the pending queue. */
  readonly onQueued?: () => void;
}

/** A reference on a resident model; `release` is idempotent. */
export interface Lease {
  release(): void;
}

/** A resident model as `/api/ps` reports it. */
export interface ResidentModel {
  readonly entry: CatalogueEntry;
  readonly numCtx: number;
  /** Epoch ms; `now + keep_alive` while busy, `idle since + keep_alive` once idle. */
  readonly expiresAt: number;
}

interface Runner {
  readonly key: string;
  readonly entry: CatalogueEntry;
  readonly numCtx: number;
  refCount: number;
  keepAliveMs: number;
  idleSince: number | undefined;
  lastUsed: number;
  timer: NodeJS.Timeout | undefined;
}

interface Pending {
  readonly request: RunnerRequest;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (reason: unknown) => void;
  readonly detach: () => void;
}

/** setTimeout's ceiling; longer keep-alives simply never fire within a process lifetime. */
const MAX_TIMER_MS = 2_147_483_647;
/** `time.Now().Add(math.MaxInt64)`, in ms, for models kept forever. */
const FOREVER_MS = 9_223_372_036_854.775;

/** Loaded-model bookkeeping for one simulator. */
export class Residency {
  #maxLoaded: number;
  #maxQueue: number;
  #runners = new Map<string, Runner>();
  #pending: Pending[] = [];
  #serving: Pending | undefined;
  #pumping = false;
  #idleListeners = new Set<() => void>();
  #shutdown = new AbortController();

  constructor(limits: { maxLoadedModels: number; maxQueue: number }) {
    this.#maxLoaded = limits.maxLoadedModels;
    this.#maxQueue = limits.maxQueue;
  }

  /** Requests waiting to be scheduled or loaded (the 503 threshold counts these). */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Gets a runner reference for `request`. Resolves at once for a resident
   * model; otherwise queues. Rejects with {@link QueueFullError} when the
   * queue is full, or with the abort reason when the request's signal fires.
   */
  acquire(request: RunnerRequest): Promise<Lease> {
    const runner = this.#runners.get(request.key);
    if (runner !== undefined && runner.numCtx === request.numCtx) return Promise.resolve(this.#grant(runner, request));
    if (this.#shutdown.signal.aborted) return Promise.reject(new Error("simulator closed"));
    if (this.#pending.length >= this.#maxQueue) return Promise.reject(new QueueFullError());
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => {
        // The request being served notices the abort inside its own waits.
        if (this.#serving === pending) return;
        this.#remove(pending);
        reject(request.signal.reason);
      };
      const pending: Pending = {
        request,
        resolve,
        reject,
        detach: () => request.signal.removeEventListener("abort", onAbort),
      };
      request.signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.push(pending);
      request.onQueued?.();
      void this.#pump();
    });
  }

  /** Makes a model resident without a request, idle from now (used for `preloaded`). */
  preload(key: string, entry: CatalogueEntry, keepAliveMs: number, numCtx: number): void {
    if (this.#runners.has(key)) return;
    const runner = this.#newRunner(key, entry, numCtx, keepAliveMs);
    this.#runners.set(key, runner);
    this.#goIdle(runner);
  }

  /** Unloads a model now if idle, otherwise as soon as its last request ends (keep_alive 0 shortcut). */
  expire(key: string): void {
    const runner = this.#runners.get(key);
    if (runner === undefined) return;
    runner.keepAliveMs = 0;
    if (runner.refCount === 0) this.#unload(runner);
  }

  /** Resident models, longest remaining lifetime first (Ollama's `/api/ps` order). */
  list(now: number): ResidentModel[] {
    const models = [...this.#runners.values()].map((runner) => {
      const from = runner.refCount === 0 && runner.idleSince !== undefined ? runner.idleSince : now;
      const expiresAt = runner.keepAliveMs === KEEP_FOREVER ? from + FOREVER_MS : from + runner.keepAliveMs;
      return { entry: runner.entry, numCtx: runner.numCtx, expiresAt };
    });
    return models.sort((a, b) => b.expiresAt - a.expiresAt);
  }

  /** Clears every timer and fails every pending request; resident state is dropped. */
  close(): void {
    this.#shutdown.abort(new Error("simulator closed"));
    for (const runner of this.#runners.values()) clearTimeout(runner.timer);
    this.#runners.clear();
    const pending = this.#pending.filter((p) => p !== this.#serving);
    this.#pending = this.#serving === undefined ? [] : [this.#serving];
    for (const p of pending) {
      p.detach();
      p.reject(new Error("simulator closed"));
    }
    this.#notifyIdle();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let next = this.#pending[0]; next !== undefined; next = this.#pending[0]) {
        this.#serving = next;
        try {
          next.resolve(await this.#serve(next.request));
        } catch (error) {
          next.reject(error);
        } finally {
          this.#serving = undefined;
          this.#remove(next);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** One pending request: evict or wait as needed, then load. Mirrors `processPending`. */
  async #serve(request: RunnerRequest): Promise<Lease> {
    const signal = AbortSignal.any([request.signal, this.#shutdown.signal]);
    for (;;) {
      signal.throwIfAborted();
      const runner = this.#runners.get(request.key);
      if (runner !== undefined && runner.numCtx === request.numCtx) return this.#grant(runner, request);
      // A different num_ctx forces a reload, which must wait until the old runner is idle.
      const victim = runner ?? (this.#runners.size >= this.#maxLoaded ? this.#leastRecentlyUsedIdle() : null);
      if (victim === null) break;
      if (victim !== undefined && victim.refCount === 0) {
        this.#unload(victim);
        continue;
      }
      await this.#nextIdle(signal);
    }
    await sleep(request.loadMs, signal);
    const runner = this.#newRunner(request.key, request.entry, request.numCtx, request.keepAliveMs);
    this.#runners.set(request.key, runner);
    return this.#grant(runner, request);
  }

  #grant(runner: Runner, request: RunnerRequest): Lease {
    runner.refCount++;
    runner.keepAliveMs = request.keepAliveMs;
    runner.idleSince = undefined;
    runner.lastUsed = Date.now();
    clearTimeout(runner.timer);
    runner.timer = undefined;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        runner.refCount--;
        runner.lastUsed = Date.now();
        if (runner.refCount === 0 && this.#runners.get(runner.key) === runner) this.#goIdle(runner);
      },
    };
  }

  #goIdle(runner: Runner): void {
    runner.idleSince = Date.now();
    if (runner.keepAliveMs <= 0) {
      this.#unload(runner);
      return;
    }
    if (runner.keepAliveMs <= MAX_TIMER_MS) {
      runner.timer = setTimeout(() => {
        if (runner.refCount === 0) this.#unload(runner);
      }, runner.keepAliveMs);
      // Idle models must not keep a test process (or a closed simulator) alive.
      runner.timer.unref();
    }
    this.#notifyIdle();
  }

  #unload(runner: Runner): void {
    clearTimeout(runner.timer);
    runner.timer = undefined;
    if (this.#runners.get(runner.key) === runner) this.#runners.delete(runner.key);
    this.#notifyIdle();
  }

  /** `undefined` when every resident model is busy. */
  #leastRecentlyUsedIdle(): Runner | undefined {
    let best: Runner | undefined;
    for (const runner of this.#runners.values()) {
      if (runner.refCount === 0 && (best === undefined || runner.lastUsed < best.lastUsed)) best = runner;
    }
    return best;
  }

  /** Resolves on the next idle or unload event; rejects when `signal` aborts. */
  #nextIdle(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#idleListeners.delete(listener);
        reject(signal.reason);
      };
      const listener = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#idleListeners.add(listener);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #notifyIdle(): void {
    const listeners = [...this.#idleListeners];
    this.#idleListeners.clear();
    for (const listener of listeners) listener();
  }

  #remove(pending: Pending): void {
    pending.detach();
    const index = this.#pending.indexOf(pending);
    if (index >= 0) this.#pending.splice(index, 1);
  }

  #newRunner(key: string, entry: CatalogueEntry, numCtx: number, keepAliveMs: number): Runner {
    return { key, entry, numCtx, refCount: 0, keepAliveMs, idleSince: undefined, lastUsed: Date.now(), timer: undefined };
  }
}
