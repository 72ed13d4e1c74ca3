/**
 * Runs one call as a series of attempts on backends. Contract:
 * - Each attempt holds a slot (a lease) from the pool for exactly its
 *   duration, and reports how it ended (outlier detection, learned costs).
 * - A failed attempt is retried only while nothing has been sent to the
 *   caller, only for failures another backend may not share (unreachable,
 *   busy, 5xx, bad protocol, stale catalogue), on a backend not yet tried,
 *   after exponential backoff with full jitter, within the caller's deadline
 *   and the retry budget. Generation is never hedged.
 * - When no other backend can be tried, the last attempt's error is the one
 *   reported.
 * - Each attempt is one CLIENT span (a child of the RPC's server span), ended
 *   with the attempt: retries are sibling spans.
 */
import type { Attributes } from "@opentelemetry/api";
import { delay } from "abort-controller-x";
import { UpstreamError, UpstreamHttpError } from "../ollama/errors.js";
import { startAttemptSpan, type UpstreamSpan, type GenAiOperation } from "../observability/tracing.js";
import { fullJitterBackoffMs } from "../upstream/backoff.js";
import type { AttemptOutcome, Observation } from "../upstream/pool.js";
import { abortCause } from "./abort-reasons.js";
import type { CallRecord } from "./call-record.js";
import type { Backends, LeasedBackend } from "./fleet.js";
import { throwMapped } from "./status.js";

/** Retry settings. */
export interface RetrySettings {
  maxAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  random: () => number;
}

/** The call being attempted. */
export interface AttemptCall {
  /** Model as requested (for errors) and its key (for routing). */
  model: string;
  modelKey: string;
  affinityKey?: string | undefined;
  priority: number;
  /** Absolute deadline, epoch ms (Infinity for none). */
  deadline: number;
  signal: AbortSignal;
  record: CallRecord;
  trailer: { set(key: string, value: string): void };
}

/** What each attempt's span says about the call (see observability/tracing.ts). */
export interface AttemptTracing {
  operation: GenAiOperation;
  /** The Ollama endpoint path, e.g. "/api/chat". */
  path: string;
  /** Request parameters (genAiRequestAttributes). */
  attributes?: Attributes;
}

/**
 * One attempt: yields the messages for the caller and returns what the call
 * taught (costs). `span` is the attempt's span: its `headers` go on the
 * Ollama request; the attempt records the first token and the final usage on
 * it, and withAttempts ends it.
 */
export type RunAttempt<T> = (
  backend: LeasedBackend,
  signal: AbortSignal,
  span: UpstreamSpan,
) => AsyncGenerator<T, Omit<Observation, "serviceMs"> | undefined, undefined>;

/** How a failure counts for outlier detection, and whether another backend might succeed. */
export function judgeFailure(error: unknown, signal: AbortSignal): { outcome: AttemptOutcome; retryable: boolean } {
  if (signal.aborted || !(error instanceof UpstreamError)) return { outcome: "ignored", retryable: false };
  switch (error.kind) {
    case "unreachable":
      return { outcome: "local_failure", retryable: true };
    case "timeout":
      return { outcome: "local_failure", retryable: false }; // a slow cold load would only restart elsewhere
    case "server_error":
    case "protocol":
      return { outcome: "upstream_5xx", retryable: true };
    case "busy":
    case "rate_limited":
    case "model_not_found": // the catalogue was stale; another holder may have it
      return { outcome: "ignored", retryable: true };
    default:
      return { outcome: "ignored", retryable: false };
  }
}

/** Runs `run` on backends until it succeeds or may not be retried. */
export async function* withAttempts<T>(
  fleet: Backends,
  settings: RetrySettings,
  call: AttemptCall,
  tracing: AttemptTracing,
  run: RunAttempt<T>,
): AsyncGenerator<T, void, undefined> {
  const { signal, record } = call;
  const tried = new Set<string>();
  const endCall = fleet.retryBudget.callStarted();
  let releaseRetry: (() => void) | undefined;
  let lastError: unknown;
  let lastBackend: string | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      let leased: LeasedBackend;
      const waitStartedAt = performance.now();
      try {
        leased = await fleet.acquire({
          model: call.modelKey,
          ...(call.affinityKey !== undefined && { affinityKey: call.affinityKey }),
          exclude: tried,
          priority: call.priority,
          signal,
          deadline: call.deadline,
        });
      } catch (error) {
        const reported = lastError !== undefined && !signal.aborted ? lastError : error;
        throwMapped(reported, signal, { model: call.model, chunksSent: record.chunksOut, backend: lastBackend }, call);
      }
      record.queueWaitMs = (record.queueWaitMs ?? 0) + (performance.now() - waitStartedAt);
      releaseRetry?.();
      releaseRetry = undefined;
      const backend = leased.lease.endpoint.name;
      tried.add(backend);
      record.backend = backend;
      lastBackend = backend;
      const startedAt = performance.now();
      let outcome: AttemptOutcome = "ignored";
      let observation: Observation | undefined;
      let backoffMs = 0;
      const span = startAttemptSpan({
        operation: tracing.operation,
        model: call.model,
        backend,
        url: leased.lease.endpoint.url,
        path: tracing.path,
        attempt: attempt + 1,
        ...(tracing.attributes !== undefined && { requestAttributes: tracing.attributes }),
      });
      try {
        const learned = yield* run(leased, signal, span);
        span.succeed();
        outcome = "success";
        if (learned !== undefined) observation = { ...learned, serviceMs: performance.now() - startedAt };
        fleet.markLoaded(backend, call.modelKey);
        return;
      } catch (error) {
        endFailedSpan(span, error, signal, call.deadline);
        const verdict = judgeFailure(error, signal);
        outcome = verdict.outcome;
        if (error instanceof UpstreamError && error.kind === "model_not_found") fleet.markMissing(backend, call.modelKey);
        lastError = error;
        const mayRetry = verdict.retryable && record.chunksOut === 0 && attempt + 1 < settings.maxAttempts;
        backoffMs = mayRetry ? fullJitterBackoffMs(attempt, settings.baseBackoffMs, settings.maxBackoffMs, settings.random) : 0;
        if (!mayRetry || Date.now() + backoffMs >= call.deadline || (releaseRetry = fleet.retryBudget.tryRetry()) === undefined) {
          throwMapped(error, signal, { model: call.model, chunksSent: record.chunksOut, backend }, call);
        }
        record.retries = (record.retries ?? 0) + 1;
      } finally {
        // Closed early by return(): the caller went away, or (unary) took the one message it needed.
        if (signal.aborted) span.abort(abortCause(signal, call.deadline));
        else span.succeed();
        leased.lease.release(outcome, observation);
      }
      if (backoffMs > 0) await delay(signal, backoffMs);
    }
  } finally {
    endCall();
    releaseRetry?.();
  }
}

/** Ends a failed request's span: an abort is the gateway's or the caller's decision, anything else the request's error. */
export function endFailedSpan(span: UpstreamSpan, error: unknown, signal: AbortSignal, deadline: number): void {
  if (signal.aborted) span.abort(abortCause(signal, deadline));
  else if (error instanceof UpstreamError) {
    span.fail({ type: error.kind, message: error.message, httpStatus: error instanceof UpstreamHttpError ? error.status : undefined });
  } else span.fail({ type: error instanceof Error ? error.name : "unknown", message: "internal gateway error" });
}
