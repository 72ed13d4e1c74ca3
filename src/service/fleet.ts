/**
 * The set of Ollama backends the service talks to: endpoint selection from
 * upstream/ joined with one OllamaClient (one undici Pool) per endpoint.
 */
import type { OllamaClient } from "../ollama/client.js";
import type { Endpoint } from "../upstream/endpoint.js";
import { RoundRobin } from "../upstream/round-robin.js";

/** A picked backend: where to send the call and the client to send it with. */
export interface PickedBackend {
  endpoint: Endpoint;
  client: OllamaClient;
}

/** Backends and their clients. */
export class Fleet {
  readonly #balancer: RoundRobin;
  readonly #clients: ReadonlyMap<string, OllamaClient>;

  /** `clients` maps each endpoint's name to its client. */
  constructor(endpoints: readonly Endpoint[], clients: ReadonlyMap<string, OllamaClient>) {
    for (const endpoint of endpoints) {
      if (!clients.has(endpoint.name)) throw new Error(`no client for backend ${endpoint.name}`);
    }
    this.#balancer = new RoundRobin(endpoints);
    this.#clients = clients;
  }

  /** The configured endpoints. */
  get endpoints(): readonly Endpoint[] {
    return this.#balancer.endpoints;
  }

  /** Picks the next backend; undefined when there is none. Synchronous. */
  pick(): PickedBackend | undefined {
    const endpoint = this.#balancer.pick();
    if (endpoint === undefined) return undefined;
    return { endpoint, client: this.#clients.get(endpoint.name) as OllamaClient };
  }

  /** The backend with this configured name, if any. */
  byName(name: string): PickedBackend | undefined {
    const client = this.#clients.get(name);
    const endpoint = this.#balancer.endpoints.find((e) => e.name === name);
    return client === undefined || endpoint === undefined ? undefined : { endpoint, client };
  }

  /** Every backend, in configuration order (for fleet-wide calls). */
  all(): PickedBackend[] {
    return this.#balancer.endpoints.map((endpoint) => ({ endpoint, client: this.#clients.get(endpoint.name) as OllamaClient }));
  }

  /** Closes every pool: waits for in-flight requests unless `force`. */
  async close(force = false): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => (force ? client.destroy() : client.close())));
  }
}
