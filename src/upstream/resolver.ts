/**
 * Resolvers say where endpoints are; the pool decides how to use them (the
 * grpc-js split). A resolver pushes complete endpoint lists to its listener
 * whenever they change; it never calls the listener synchronously from
 * `start`, and never after `stop`.
 */
import type { EndpointConfig } from "./types.js";

/** Receives a resolver's results. */
export interface ResolverListener {
  /** The complete, current endpoint list (not a delta). An empty list is a valid result. */
  onEndpoints(endpoints: EndpointConfig[]): void;
  /**
   * Resolution failed; the last list stays in force (a transient DNS or
   * control-plane failure must not empty the fleet).
   */
  onError(error: Error): void;
}

/** A source of endpoints: static config, DNS, or an xDS control plane. */
export interface Resolver {
  /** Starts resolving; results arrive asynchronously. */
  start(listener: ResolverListener): void;
  /** Stops timers and streams; nothing is delivered afterwards. */
  stop(): void;
}

/** Defaults applied to endpoints a resolver discovers (DNS gives only addresses). */
export interface EndpointTemplate {
  readonly scheme: "http" | "https";
  readonly port: number;
  readonly weight: number;
  readonly priority: number;
  readonly maxConcurrency: number;
  readonly labels: Readonly<Record<string, string>>;
}
