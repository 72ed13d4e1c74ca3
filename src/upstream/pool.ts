/**
 * UpstreamPool: the balancer. Owns each endpoint's mutable state (slots in
 * use, health, ejection, draining, models present and resident) and hands
 * out leases:
 *
 *   candidates = not draining, not excluded, holding the model when known
 *   tier       = the lowest priority with a usable (healthy, not ejected)
 *                endpoint; panic mode (below `panicThresholdPercent` usable)
 *                uses the whole tier, and when no tier has a usable endpoint,
 *                every candidate
 *   ready      = candidates with a free slot (inFlight < maxConcurrency)
 *   decision   = policy.choose(ready, candidates, request)
 *
 * A call that cannot be placed waits in one gateway queue (priority, then
 * FIFO), bounded in length and in time; the wait never outlives the caller's
 * deadline or signal. Every release or state change re-examines the queue.
 * Nothing here knows gRPC or Ollama's JSON.
 */
import { LearnedCosts } from "./cost-model.js";
import { ModelUnavailableError, NoEndpointError, QueueFullError, QueueTimeoutError } from "./errors.js";
import type { ActiveHealth, Clock, EndpointConfig, EndpointView, PickRequest, Policy } from "./types.js";

/** How an attempt on an endpoint ended, for outlier detection. */
export type AttemptOutcome = "success" | "local_failure" | "upstream_5xx" | "ignored";

/** What a finished call teaches the cost model. */
export interface Observation {
  model: string;
  /** How long the call held the slot. */
  serviceMs: number;
  /** load_duration reported by the backend, if any. */
  loadMs?: number;
}

/** A slot held on an endpoint. `release` is idempotent. */
export interface Lease {
  readonly endpoint: EndpointView;
  release(outcome: AttemptOutcome, observation?: Observation): void;
}

/** A call asking for a slot. */
export interface AcquireRequest {
  model?: string;
  affinityKey?: string;
  exclude: ReadonlySet<string>;
  /** Queue priority: higher is served first; equal priorities are FIFO. */
  priority: number;
  signal: AbortSignal;
  /** Absolute deadline (epoch ms of the clock), Infinity for none. */
  deadline: number;
}

export interface PoolOptions {
  policy: Policy;
  clock: Clock;
  costs: LearnedCosts;
  /** Below this share of usable endpoints in a tier (percent), ignore health there. */
  panicThresholdPercent: number;
  queue: { maxLength: number; maxWaitMs: number };
  /** Called on every released attempt (outlier detection subscribes). */
  onOutcome?(endpoint: string, outcome: AttemptOutcome): void;
  /** Called after endpoints, health, ejection or catalogues changed (not on slot use). */
  onStateChange?(): void;
}

interface EndpointState {
  config: EndpointConfig;
  inFlight: number;
  health: ActiveHealth;
  ejected: boolean;
  draining: boolean;
  models: Set<string> | undefined;
  loaded: Set<string>;
  requests: number;
  failures: number;
}

interface Waiter {
  request: AcquireRequest;
  enqueuedAt: number;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  cleanup(): void;
}

type Attempt = { kind: "lease"; lease: Lease } | { kind: "queue"; byChoice: boolean } | { kind: "fail"; error: Error };

/** How often a queue whose waiters chose to wait (ready endpoints existed) is re-examined without any event. */
const RECHECK_MS = 200;

export class UpstreamPool {
  readonly #states = new Map<string, EndpointState>();
  readonly #queue: Waiter[] = [];
  readonly #options: PoolOptions;
  #recheck: { clear(): void } | undefined;
  #draining = false;
  #closed = false;

  constructor(endpoints: readonly EndpointConfig[], options: PoolOptions) {
    this.#options = options;
    this.setEndpoints(endpoints);
  }

  /**
   * Applies a new endpoint list (hot reload, DNS, xDS): new ones start with
   * unknown health, changed ones keep their state, removed ones drain: no new
   * calls, in-flight ones finish, then they disappear.
   */
  setEndpoints(endpoints: readonly EndpointConfig[]): void {
    const wanted = new Map(endpoints.map((e) => [e.name, e]));
    for (const [name, state] of this.#states) {
      if (!wanted.has(name)) {
        state.draining = true;
        if (state.inFlight === 0) this.#states.delete(name);
      }
    }
    for (const config of endpoints) {
      const state = this.#states.get(config.name);
      if (state === undefined) {
        this.#states.set(config.name, {
          config,
          inFlight: 0,
          health: "unknown",
          ejected: false,
          draining: false,
          models: undefined,
          loaded: new Set(),
          requests: 0,
          failures: 0,
        });
      } else {
        state.config = config;
        state.draining = false;
      }
    }
    this.#options.onStateChange?.();
    this.#examineQueue();
  }

  /** Active health of an endpoint changed. */
  setHealth(name: string, health: ActiveHealth): void {
    this.#update(name, (state) => (state.health = health));
  }

  /** Outlier detection ejected or unejected an endpoint. */
  setEjected(name: string, ejected: boolean): void {
    this.#update(name, (state) => (state.ejected = ejected));
  }

  /** What an endpoint holds (from its catalogue): model keys installed and resident. */
  setCatalogue(name: string, models: ReadonlySet<string>, loaded: ReadonlySet<string>): void {
    this.#update(name, (state) => {
      state.models = new Set(models);
      state.loaded = new Set(loaded);
    });
  }

  /** The model is now resident (a call for it just succeeded there). Cheap when it already was. */
  markLoaded(name: string, model: string): void {
    const known = this.#states.get(name);
    if (known === undefined || (known.loaded.has(model) && known.models?.has(model) !== false)) return; // the per-call common case
    this.#update(name, (state) => {
      state.loaded.add(model);
      state.models?.add(model);
    });
  }

  /** The endpoint answered "model not found": its catalogue was stale. */
  markMissing(name: string, model: string): void {
    this.#update(name, (state) => {
      state.models?.delete(model);
      state.loaded.delete(model);
    });
  }

  /** Snapshots of every endpoint (including draining ones). */
  endpoints(): EndpointView[] {
    return [...this.#states.values()].map(view);
  }

  /** Number of calls waiting in the gateway queue. */
  get queueLength(): number {
    return this.#queue.length;
  }

  /**
   * Resolves with a lease on an endpoint, waiting in the queue when none is
   * ready. Rejects with an AdmissionError (no endpoint, model unavailable,
   * queue full, queue timeout) or, when `request.signal` aborts, with its
   * reason. The caller must release the lease exactly once.
   */
  acquire(request: AcquireRequest): Promise<Lease> {
    if (request.signal.aborted) return Promise.reject(abortReason(request.signal));
    const attempt = this.#attempt(request, this.#sameModelQueued(request.model, this.#queue.length), 0);
    if (attempt.kind === "lease") return Promise.resolve(attempt.lease);
    if (attempt.kind === "fail") return Promise.reject(attempt.error);
    const { maxLength, maxWaitMs } = this.#options.queue;
    if (this.#queue.length >= maxLength) {
      return Promise.reject(new QueueFullError(`gateway queue is full (${maxLength} calls waiting)`, this.#retryAfterMs(request.model)));
    }
    return this.#enqueue(request, Math.min(maxWaitMs, request.deadline - this.#options.clock.now()), attempt.byChoice);
  }

  /** Stops timers and rejects every waiter. */
  close(): void {
    this.#closed = true;
    this.#recheck?.clear();
    for (const waiter of this.#queue.splice(0)) {
      waiter.cleanup();
      waiter.reject(new NoEndpointError("gateway is shutting down"));
    }
  }

  /** A JSON-ready description for the admin status page. */
  status(): Record<string, unknown> {
    const now = this.#options.clock.now();
    return {
      policy: this.#options.policy.name,
      queue: {
        length: this.#queue.length,
        maxLength: this.#options.queue.maxLength,
        oldestWaitMs: this.#queue.length === 0 ? 0 : Math.max(...this.#queue.map((w) => now - w.enqueuedAt)),
      },
      endpoints: [...this.#states.values()].map((s) => ({
        name: s.config.name,
        url: s.config.url,
        weight: s.config.weight,
        priority: s.config.priority,
        locality: s.config.locality,
        labels: s.config.labels,
        maxConcurrency: s.config.maxConcurrency,
        inFlight: s.inFlight,
        health: s.health,
        ejected: s.ejected,
        draining: s.draining,
        models: s.models === undefined ? null : [...s.models].sort(),
        loaded: [...s.loaded].sort(),
        requests: s.requests,
        failures: s.failures,
      })),
      costs: this.#options.costs.snapshot(),
    };
  }

  #enqueue(request: AcquireRequest, waitMs: number, byChoice: boolean): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      const clock = this.#options.clock;
      const timer = clock.setTimeout(() => {
        this.#remove(waiter);
        reject(new QueueTimeoutError(`waited ${Math.round(clock.now() - waiter.enqueuedAt)} ms in the gateway queue without a free backend slot`, this.#retryAfterMs(request.model)));
      }, Math.max(0, waitMs));
      const onAbort = (): void => {
        this.#remove(waiter);
        reject(abortReason(request.signal));
      };
      request.signal.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter = {
        request,
        enqueuedAt: clock.now(),
        resolve,
        reject,
        cleanup: () => {
          timer.clear();
          request.signal.removeEventListener("abort", onAbort);
        },
      };
      // Higher priority first; FIFO among equals.
      let index = this.#queue.length;
      while (index > 0 && (this.#queue[index - 1] as Waiter).request.priority < request.priority) index--;
      this.#queue.splice(index, 0, waiter);
      if (byChoice) this.#armRecheck();
    });
  }

  #remove(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index >= 0) this.#queue.splice(index, 1);
    waiter.cleanup();
  }

  /** Places every waiter that can now be placed, in queue order. Re-entrant calls are folded into the running one. */
  #examineQueue(): void {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    try {
      let waitingByChoice = false;
      for (let i = 0; i < this.#queue.length; ) {
        const waiter = this.#queue[i] as Waiter;
        const attempt = this.#attempt(waiter.request, this.#sameModelQueued(waiter.request.model, i), this.#options.clock.now() - waiter.enqueuedAt);
        if (attempt.kind === "queue") {
          waitingByChoice ||= attempt.byChoice;
          i++;
          continue;
        }
        this.#queue.splice(i, 1);
        waiter.cleanup();
        if (attempt.kind === "lease") waiter.resolve(attempt.lease);
        else waiter.reject(attempt.error);
      }
      if (waitingByChoice) this.#armRecheck();
    } finally {
      this.#draining = false;
    }
  }

  #armRecheck(): void {
    if (this.#recheck !== undefined || this.#closed) return;
    this.#recheck = this.#options.clock.setTimeout(() => {
      this.#recheck = undefined;
      this.#examineQueue();
    }, RECHECK_MS);
  }

  #sameModelQueued(model: string | undefined, before: number): number {
    let count = 0;
    for (let i = 0; i < before; i++) if ((this.#queue[i] as Waiter).request.model === model) count++;
    return count;
  }

  #attempt(request: AcquireRequest, queuedAhead: number, waitedMs: number): Attempt {
    const candidates = this.#candidates(request);
    if (candidates instanceof Error) return { kind: "fail", error: candidates };
    const ready = candidates.filter((e) => e.inFlight < e.maxConcurrency);
    const pickRequest: PickRequest = {
      ...(request.model !== undefined && { model: request.model }),
      ...(request.affinityKey !== undefined && { affinityKey: request.affinityKey }),
      exclude: request.exclude,
      queuedAhead,
      waitedMs,
    };
    const decision = this.#options.policy.choose(ready, candidates, pickRequest);
    if (decision.kind === "queue") return { kind: "queue", byChoice: ready.length > 0 };
    const state = this.#states.get(decision.endpoint.name);
    if (state === undefined || state.draining || state.inFlight >= state.config.maxConcurrency) {
      return { kind: "queue", byChoice: ready.length > 0 }; // a policy must pick from `ready`; never oversubscribe
    }
    return { kind: "lease", lease: this.#lease(state) };
  }

  /** The endpoints that may serve `request` (see the file comment), or the reason there are none. */
  #candidates(request: AcquireRequest): EndpointView[] | Error {
    // Before a resolver's first answer there is nothing yet: wait for it (bounded by the queue's max wait).
    if (this.#states.size === 0) return [];
    const open = [...this.#states.values()].filter((s) => !s.draining && !request.exclude.has(s.config.name));
    if (open.length === 0) return new NoEndpointError(request.exclude.size > 0 ? "every backend was tried" : "every backend is draining");
    let pool = open;
    if (request.model !== undefined) {
      const model = request.model;
      const holders = open.filter((s) => s.models?.has(model) === true);
      const unknown = open.filter((s) => s.models === undefined);
      pool = holders.length > 0 ? holders : unknown;
      if (pool.length === 0) {
        return request.exclude.size > 0 ? new NoEndpointError(`no other backend has model '${model}'`) : new ModelUnavailableError(model);
      }
    }
    const usable = (s: EndpointState): boolean => s.health !== "unhealthy" && !s.ejected;
    const tiers = [...new Set(pool.map((s) => s.config.priority))].sort((a, b) => a - b);
    for (const tier of tiers) {
      const members = pool.filter((s) => s.config.priority === tier);
      const healthy = members.filter(usable);
      if (healthy.length === 0) continue;
      const panic = (healthy.length * 100) / members.length < this.#options.panicThresholdPercent;
      return (panic ? members : healthy).map(view);
    }
    return pool.map(view); // nothing usable anywhere: panic across every candidate
  }

  #lease(state: EndpointState): Lease {
    state.inFlight += 1;
    state.requests += 1;
    let released = false;
    return {
      endpoint: view(state),
      release: (outcome: AttemptOutcome, observation?: Observation) => {
        if (released) return;
        released = true;
        state.inFlight -= 1;
        if (outcome === "local_failure" || outcome === "upstream_5xx") state.failures += 1;
        if (observation !== undefined) this.#options.costs.observe(observation.model, observation.serviceMs, observation.loadMs);
        if (state.draining && state.inFlight === 0 && this.#states.get(state.config.name) === state) this.#states.delete(state.config.name);
        this.#options.onOutcome?.(state.config.name, outcome);
        this.#examineQueue();
      },
    };
  }

  #update(name: string, change: (state: EndpointState) => void): void {
    const state = this.#states.get(name);
    if (state === undefined) return;
    change(state);
    this.#options.onStateChange?.();
    this.#examineQueue();
  }

  /** A retry hint: about one service time of the model (at least 100 ms). */
  #retryAfterMs(model: string | undefined): number {
    return Math.max(100, Math.round(this.#options.costs.serviceMs(model)));
  }
}

/**
 * A snapshot of one endpoint. Every field is named, not spread from the
 * config: on Node 20 an object spread here cost about 7 µs per view, against
 * 16-23 ns written out (bench/micro/endpoint-view.mjs), and a pick takes one
 * view per candidate.
 */
function view(state: EndpointState): EndpointView {
  const config = state.config;
  return {
    name: config.name,
    url: config.url,
    weight: config.weight,
    priority: config.priority,
    locality: config.locality,
    labels: config.labels,
    maxConcurrency: config.maxConcurrency,
    inFlight: state.inFlight,
    health: state.health,
    ejected: state.ejected,
    draining: state.draining,
    models: state.models,
    loaded: state.loaded,
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}
