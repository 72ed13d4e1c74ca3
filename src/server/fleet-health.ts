/**
 * Publishes the fleet's state through grpc.health.v1, so probes, proxyless
 * gRPC clients (client-side health checking) and operators can ask:
 *
 *   ""                                        the process is serving (liveness)
 *   "ollama.v1.OllamaService"                 at least one backend is usable (readiness)
 *   "ollama.v1.OllamaService/backend/<name>"  that backend is usable
 *   "ollama.v1.OllamaService/model/<model>"   a usable backend has the model ("llama3.2:latest")
 *
 * Usable = not draining, not ejected, and not failing its active health check.
 * Names that disappear (a removed backend, a deleted model) become unknown,
 * which Check answers NOT_FOUND.
 */
import type { HealthState, HealthStatus } from "nice-grpc-server-health";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import { isUsable, type EndpointView } from "../upstream/types.js";

const SERVICE = OllamaServiceDefinition.fullName;

/** Health service name of one backend. */
export const backendHealthName = (backend: string): string => `${SERVICE}/backend/${backend}`;
/** Health service name of one model (its normalized key, e.g. "llama3.2:latest"). */
export const modelHealthName = (model: string): string => `${SERVICE}/model/${model}`;

/** Keeps HealthState in step with the pool; `stop()` freezes it (shutdown owns health from then on). */
export class FleetHealthPublisher {
  readonly #health: HealthState;
  readonly #published = new Map<string, HealthStatus>();
  #stopped = false;

  constructor(health: HealthState) {
    this.#health = health;
  }

  /** Recomputes every status from `endpoints` and sets the ones that changed. */
  publish(endpoints: readonly EndpointView[]): void {
    if (this.#stopped) return;
    const next = new Map<string, HealthStatus>();
    next.set(SERVICE, endpoints.some(isUsable) ? "healthy" : "unhealthy");
    const models = new Map<string, boolean>();
    for (const endpoint of endpoints) {
      if (endpoint.draining) continue;
      next.set(backendHealthName(endpoint.name), isUsable(endpoint) ? "healthy" : "unhealthy");
      for (const model of endpoint.models ?? []) models.set(model, (models.get(model) ?? false) || isUsable(endpoint));
    }
    for (const [model, served] of models) next.set(modelHealthName(model), served ? "healthy" : "unhealthy");
    for (const name of this.#published.keys()) if (!next.has(name)) next.set(name, "unknown");
    for (const [name, status] of next) {
      if (this.#published.get(name) === status) continue;
      this.#health.setStatus(status, name);
      if (status === "unknown") this.#published.delete(name);
      else this.#published.set(name, status);
    }
  }

  /** Stops publishing. */
  stop(): void {
    this.#stopped = true;
  }
}
