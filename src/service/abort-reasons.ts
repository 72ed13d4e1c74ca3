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
