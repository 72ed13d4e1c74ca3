/**
 * Reasons the gateway itself aborts a call's signal. They travel as
 * `signal.reason`, so whoever sees the resulting abort can tell a caller's
 * cancel (plain AbortError) from a gateway decision and answer with the
 * right status.
 */

/** The stream hit the gateway's `max_stream_duration`, or the clamp on client deadlines. */
export class StreamDeadlineReason extends Error {
  readonly limitMs: number;
  readonly limit: "max_stream_duration" | "max_deadline";

  constructor(limit: "max_stream_duration" | "max_deadline", limitMs: number) {
    super(`stream exceeded the gateway's ${limit} of ${limitMs} ms`);
    this.name = "StreamDeadlineReason";
    this.limit = limit;
    this.limitMs = limitMs;
  }
}

/** The server is shutting down and its drain timeout expired. */
export class ShutdownReason extends Error {
  constructor() {
    super("server shutting down");
    this.name = "ShutdownReason";
  }
}

/**
 * The call's token budget ran out mid-stream. The quota middleware aborts
 * with it to stop the Ollama request and answers RESOURCE_EXHAUSTED itself.
 */
export class QuotaExhaustedReason extends Error {
  constructor() {
    super("token budget exhausted");
    this.name = "QuotaExhaustedReason";
  }
}

/**
 * A caller's own deadline timer usually fires a little before ours, so its
 * cancel arrives just ahead of the deadline; a cancel this close to it counts
 * as the deadline (the access log uses the same slack).
 */
const CALLER_DEADLINE_SLACK_MS = 100;

/**
 * Why `signal` aborted, for traces: "max_stream_duration" / "max_deadline"
 * (gateway caps), "shutdown", "quota_exhausted" (the token budget ran out
 * mid-stream), "deadline_exceeded" (the caller's deadline, epoch ms) or
 * "cancelled" (the caller went away).
 */
export function abortCause(signal: AbortSignal, deadline: number, now = Date.now()): string {
  const reason: unknown = signal.reason;
  if (reason instanceof StreamDeadlineReason) return reason.limit;
  if (reason instanceof ShutdownReason) return "shutdown";
  if (reason instanceof QuotaExhaustedReason) return "quota_exhausted";
  return now >= deadline - CALLER_DEADLINE_SLACK_MS ? "deadline_exceeded" : "cancelled";
}
