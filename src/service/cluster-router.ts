/**
 * Several clusters behind one gateway: each cluster has its own endpoints,
 * discovery, policy, pool and queue, and serves the models its patterns
 * match (glob patterns on the model name, e.g. "llama3*", "*:70b",
 * "all-minilm"; "*" matches every model). A call goes to the first cluster
 * whose patterns match its model; fleet-wide calls see every cluster's
 * backends (backend names are unique across clusters).
 */
import { globToRegExp } from "../common/glob.js";
import { ModelUnavailableError } from "../upstream/errors.js";
import type { AcquireRequest } from "../upstream/pool.js";
import type { RetryBudget } from "../upstream/retry-budget.js";
import type { EndpointConfig } from "../upstream/types.js";
import type { FleetRuntime } from "./create-fleet.js";
import type { Backends, LeasedBackend, PickedBackend } from "./fleet.js";

/** A cluster: a name, the models it serves, and its running fleet. */
export interface Cluster {
  readonly name: string;
  readonly models: readonly string[];
  readonly runtime: FleetRuntime;
}

export class ClusterRouter implements Backends {
  readonly retryBudget: RetryBudget;
  readonly #clusters: ReadonlyArray<Cluster & { matchers: RegExp[] }>;

  /** The retry budget is shared: it bounds the extra load the gateway adds, whatever the cluster. */
  constructor(clusters: readonly Cluster[], retryBudget: RetryBudget) {
    this.#clusters = clusters.map((cluster) => ({ ...cluster, matchers: cluster.models.map(globToRegExp) }));
    this.retryBudget = retryBudget;
  }

  /** The clusters, in configuration order. */
  get clusters(): readonly Cluster[] {
    return this.#clusters;
  }

  /** The first cluster serving `model` (a model key such as "llama3.2:latest"), if any. */
  route(model: string): Cluster | undefined {
    const base = model.endsWith(":latest") ? model.slice(0, -":latest".length) : model;
    return this.#clusters.find((c) => c.matchers.some((m) => m.test(model) || m.test(base)));
  }

  all(): PickedBackend[] {
    return this.#clusters.flatMap((c) => c.runtime.fleet.all());
  }

  byName(name: string): PickedBackend | undefined {
    return this.all().find((b) => b.endpoint.name === name);
  }

  get endpoints(): EndpointConfig[] {
    return this.all().map((b) => b.endpoint);
  }

  acquire(request: AcquireRequest): Promise<LeasedBackend> {
    const cluster = request.model === undefined ? this.#clusters[0] : this.route(request.model);
    if (cluster === undefined) return Promise.reject(new ModelUnavailableError(request.model ?? ""));
    return cluster.runtime.fleet.acquire(request);
  }

  markLoaded(backend: string, model: string): void {
    this.#owner(backend)?.runtime.fleet.markLoaded(backend, model);
  }

  markMissing(backend: string, model: string): void {
    this.#owner(backend)?.runtime.fleet.markMissing(backend, model);
  }

  #owner(backend: string): Cluster | undefined {
    return this.#clusters.find((c) => c.runtime.fleet.byName(backend) !== undefined);
  }
}
