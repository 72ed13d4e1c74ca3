/**
 * Commands the orchestrator (main.ts) sends to the load generator
 * (load-gen.ts) over the IPC channel, and their results. Types only.
 *
 * While a command runs, the load generator posts `{ event: "window", id,
 * edge: "start" | "end" }` at the edges of its timed window, so that the
 * orchestrator samples every process's CPU at the same moments.
 */
import type { StreamSpec } from "./wire.js";

/** Where a path's load goes. */
export type LoadTarget =
  | { readonly kind: "grpc"; readonly address: string; readonly apiKey?: string }
  /** HTTP/1.1; stream i goes to origins[i % origins.length] (the backend's listeners, or nginx). */
  | { readonly kind: "http"; readonly origins: readonly string[] };

export type Command =
  | { readonly op: "probe"; readonly target: LoadTarget; readonly spec: StreamSpec }
  | { readonly op: "saturate"; readonly target: LoadTarget; readonly streams: number; readonly warmMs: number; readonly windowMs: number }
  | { readonly op: "ttft"; readonly target: LoadTarget; readonly concurrency: number; readonly warmup: number; readonly requests: number; readonly spec: StreamSpec }
  | {
      readonly op: "ttftStaggered";
      readonly targets: readonly LoadTarget[];
      readonly warmup: number;
      readonly requests: number;
      readonly periodMs: number;
      readonly spec: StreamSpec;
    }
  | {
      readonly op: "openLoop";
      readonly target: LoadTarget;
      readonly streams: number;
      readonly rate: number;
      readonly rampMs: number;
      readonly warmMs: number;
      readonly windowMs: number;
    }
  | { readonly op: "idleOpen"; readonly target: LoadTarget; readonly streams: number }
  | { readonly op: "idleClose" };

export interface SaturateResult {
  readonly tokens: number;
  readonly windowMs: number;
  /** Streams that failed or ended before the window closed. */
  readonly errors: number;
  /** From opening the streams to every stream's first token (or the 30 s limit), ms. */
  readonly setupMs: number;
  /** Streams that had delivered a token when the warm-up started. */
  readonly flowingAtWarmup: number;
}

export interface TtftResult {
  /** TTFT of every measured request, ms (requests that failed are not in it). */
  readonly ttftMs: number[];
  readonly errors: number;
  readonly firstError?: string;
  readonly windowMs: number;
}

export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface OpenLoopResult {
  readonly offeredPerSecond: number;
  /** Tokens received inside the window. */
  readonly tokens: number;
  readonly windowMs: number;
  /** Per-token latency (receive - backend send stamp), ms, over the window. */
  readonly latency: LatencySummary;
  readonly errors: number;
  readonly firstError?: string;
  /** Tokens without a readable stamp (should be 0). */
  readonly unstamped: number;
  /** From the first stream opened to every stream's first token (or the 30 s limit), ms. */
  readonly setupMs: number;
  /** Streams that had delivered a token when the warm-up started. */
  readonly flowingAtWarmup: number;
}

export interface IdleOpenResult {
  readonly openedMs: number;
  readonly errors: number;
}

export type Reply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export type WindowEvent = { readonly event: "window"; readonly id: number; readonly edge: "start" | "end" };
