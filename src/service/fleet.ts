/**
 * The backends as the service sees them: the upstream pool (which endpoint
 * may take a call) joined with one OllamaClient (one undici Pool) per
 * endpoint. Fleet-wide calls use `all()`; calls that
 * occupy a backend slot use `acquire()`.
 */
import type { OllamaClient } from "../ollama/client.js";
import type { AcquireRequest, Lease, UpstreamPool } from "../upstream/pool.js";
import type { RetryBudget } from "../upstream/retry-budget.js";
import type { EndpointConfig } from "../upstream/types.js";

/** A backend and the client to call it with. */
export interface PickedBackend {
  endpoint: EndpointConfig;
  client: OllamaClient;
}

/** A slot on a backend, with its client. */
export interface LeasedBackend {
  lease: Lease;
  client: OllamaClient;
}

/**
 * What the service layer needs from the backends: fleet-wide lists, slots
 * for calls, the retry budget, and residency hints. The ClusterRouter
 * provides it over the clusters' Fleets (one Fleet per cluster).
 */
export interface Backends {
  /** Every backend not draining, in configuration order. */
  all(): PickedBackend[];
  /** The backend with this name, if any (and not draining). */
  byName(name: string): PickedBackend | undefined;
  /** The endpoints of `all()`. */
  readonly endpoints: EndpointConfig[];
  /** Waits for a slot on a backend suited to `request` (see UpstreamPool.acquire). */
  acquire(request: AcquireRequest): Promise<LeasedBackend>;
  readonly retryBudget: RetryBudget;
  /** The model is resident on `backend` now. */
  markLoaded(backend: string, model: string): void;
  /** `backend` said it does not have the model. */
  markMissing(backend: string, model: string): void;
}

/** One cluster's backends: its pool and a client per endpoint. */
export class Fleet {
  readonly pool: UpstreamPool;
  readonly #clients: Map<string, OllamaClient>;
  readonly #createClient: (endpoint: EndpointConfig) => OllamaClient;

  /** `createClient` makes the client of an endpoint when it joins (at start and on reload). */
  constructor(pool: UpstreamPool, endpoints: readonly EndpointConfig[], createClient: (endpoint: EndpointConfig) => OllamaClient) {
    this.pool = pool;
    this.#createClient = createClient;
    this.#clients = new Map(endpoints.map((e) => [e.name, createClient(e)]));
  }

  /**
   * Applies a new endpoint list (hot reload): joining endpoints get a client,
   * changed URLs get a new one, and removed endpoints drain — the pool sends
   * them nothing new and their client closes once its in-flight requests end.
   */
  setEndpoints(endpoints: readonly EndpointConfig[]): void {
    const previous = new Map(this.pool.endpoints().map((e) => [e.name, e]));
    const wanted = new Set(endpoints.map((e) => e.name));
    for (const endpoint of endpoints) {
      const before = previous.get(endpoint.name);
      if (before === undefined || before.url !== endpoint.url) {
        const old = this.#clients.get(endpoint.name);
        this.#clients.set(endpoint.name, this.#createClient(endpoint));
        void old?.close().catch(() => undefined);
      }
    }
    for (const [name, client] of this.#clients) {
      if (!wanted.has(name)) {
        this.#clients.delete(name);
        void client.close().catch(() => undefined); // undici waits for in-flight requests
      }
    }
    this.pool.setEndpoints(endpoints);
  }

  /** Every backend that is not draining, in configuration order (for fleet-wide calls). */
  all(): PickedBackend[] {
    return this.pool
      .endpoints()
      .filter((e) => !e.draining)
      .flatMap((endpoint) => {
        const client = this.#clients.get(endpoint.name);
        return client === undefined ? [] : [{ endpoint, client }];
      });
  }

  /** The backend with this name, if any (and not draining). */
  byName(name: string): PickedBackend | undefined {
    return this.all().find((b) => b.endpoint.name === name);
  }

  /** The configured endpoints (not draining). */
  get endpoints(): EndpointConfig[] {
    return this.all().map((b) => b.endpoint);
  }

  /** Waits for a slot (see UpstreamPool.acquire) and returns it with its client. */
  async acquire(request: AcquireRequest): Promise<LeasedBackend> {
    const lease = await this.pool.acquire(request);
    const client = this.#clients.get(lease.endpoint.name);
    if (client === undefined) {
      lease.release("ignored");
      throw new Error(`no client for backend ${lease.endpoint.name}`);
    }
    return { lease, client };
  }

  markLoaded(backend: string, model: string): void {
    this.pool.markLoaded(backend, model);
  }

  markMissing(backend: string, model: string): void {
    this.pool.markMissing(backend, model);
  }

  /** Closes every client: waits for in-flight requests unless `force`. */
  async close(force = false): Promise<void> {
    this.pool.close();
    await Promise.all([...this.#clients.values()].map((client) => (force ? client.destroy() : client.close())));
  }
}
