/**
 * Contracts of the upstream layer (resolver -> balancer -> picker, as in
 * grpc-js). Nothing here knows gRPC or Ollama's JSON: endpoints carry
 * abstract "resources" (model names present and loaded) that the service
 * layer feeds in.
 */

/** A configured endpoint: where it is and how it may be used. Immutable. */
export interface EndpointConfig {
  /** Unique name (logs, metrics, responses). */
  readonly name: string;
  /** Origin URL, e.g. "http://10.0.0.7:11434". */
  readonly url: string;
  /** Relative share of traffic among endpoints of the same priority (> 0). */
  readonly weight: number;
  /** Failover tier: 0 is preferred; higher tiers get traffic only when lower ones cannot take it. */
  readonly priority: number;
  /** Free-form locality, e.g. "eu-west-1a" (reported; not used for routing yet). */
  readonly locality: string;
  /** Free-form labels, reported in status. */
  readonly labels: Readonly<Record<string, string>>;
  /** Concurrent requests the endpoint serves (its OLLAMA_NUM_PARALLEL); more wait in the gateway queue. */
  readonly maxConcurrency: number;
}

/** Health from active checks. "unknown" until the first check completes. */
export type ActiveHealth = "unknown" | "healthy" | "unhealthy";

/**
 * What a policy sees of one endpoint at pick time: an immutable snapshot.
 * `models` is undefined while the endpoint's catalogue is unknown.
 */
export interface EndpointView extends EndpointConfig {
  readonly inFlight: number;
  readonly health: ActiveHealth;
  readonly ejected: boolean;
  readonly draining: boolean;
  /** Model keys installed on the endpoint (undefined: not known yet). */
  readonly models: ReadonlySet<string> | undefined;
  /** Model keys resident in memory. */
  readonly loaded: ReadonlySet<string>;
}

/** Whether an endpoint can take calls: not draining, not ejected, not failing its health check ("unknown" counts as usable). */
export function isUsable(endpoint: EndpointView): boolean {
  return !endpoint.draining && !endpoint.ejected && endpoint.health !== "unhealthy";
}

/** What is being routed. */
export interface PickRequest {
  /** Model key ("llama3.2:latest"), when the call is for a model. */
  readonly model?: string;
  /** Affinity key (e.g. a session id) for hash-based policies; undefined = none. */
  readonly affinityKey?: string;
  /** Endpoints already tried by this call (retries go elsewhere). */
  readonly exclude: ReadonlySet<string>;
  /** Calls for the same model waiting in the gateway queue ahead of this one (0 when not queued). */
  readonly queuedAhead?: number;
  /** How long this call has already waited in the gateway queue, in ms. */
  readonly waitedMs?: number;
}

/** Learned costs a policy may use (per model). */
export interface CostModel {
  /** Expected cold-load time of `model`, in ms. */
  loadMs(model: string | undefined): number;
  /** Expected time one request of `model` holds a slot, in ms. */
  serviceMs(model: string | undefined): number;
}

/** Outcome of a policy decision. */
export type PolicyDecision =
  /** Send the call to this endpoint now. */
  | { readonly kind: "pick"; readonly endpoint: EndpointView }
  /** Better to wait for a slot (on any candidate) than to pick now. */
  | { readonly kind: "queue" };

/**
 * A load-balancing policy. `choose` is called synchronously with the
 * candidates that may serve the request (healthy or panic-admitted, of the
 * chosen priority tier, with the model when known, not excluded), of which
 * `ready` have a free slot. It must not throw and must not mutate the views.
 * It may keep internal state (round-robin position). It returns "queue" when
 * `ready` is empty, and may return "queue" otherwise when waiting beats every
 * ready choice (Ollama-aware scheduling).
 */
export interface Policy {
  readonly name: string;
  choose(ready: readonly EndpointView[], candidates: readonly EndpointView[], request: PickRequest): PolicyDecision;
}

/** Builds a policy from its validated config. */
export interface PolicyFactory {
  readonly name: string;
  /**
   * Validates the policy's own config (a plain object from YAML); throws an
   * Error whose message is `<policy>.<field>: <problem>`.
   */
  parseConfig(raw: Record<string, unknown>): unknown;
  create(config: unknown, deps: { random: () => number; costs: CostModel }): Policy;
}

/** An injectable clock so health checks and ejections run on fake time in tests. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): { clear(): void };
}

/** The real clock: Date.now and unref'd timers (they never keep the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { clear: () => clearTimeout(timer) };
  },
};
