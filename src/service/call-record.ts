/**
 * What a handler learned about its call, for the access log and (later)
 * metrics and tracing. The logging middleware creates one per call and reads
 * it in `finally`; the handler fills it in as the call progresses. It never
 * holds prompt text, images or credentials.
 */
export interface CallRecord {
  /** Model requested. */
  model?: string;
  /** Backend that served (or failed) the call. */
  backend?: string;
  /** Messages sent to the caller. */
  chunksOut: number;
  /** performance.now() when the first message was handed to gRPC. */
  firstChunkAt?: number;
  /** done_reason of the final message. */
  doneReason?: string;
  /** Token counts of the final message. */
  promptTokens?: number;
  completionTokens?: number;
  /** ErrorInfo reason when the call failed. */
  errorReason?: string;
  /** Principal name of an authenticated call (set by the auth middleware). */
  principal?: string;
  /** Its tenant. */
  tenant?: string;
  /** Why authentication failed, for the log (never the credential). */
  authFailure?: string;
  /** Attempts made beyond the first (retries before the first token). */
  retries?: number;
  /** Time spent waiting for backend slots (gateway queue), summed over attempts. */
  queueWaitMs?: number;
}

/** Context extension carrying the call record (see nice-grpc's typed context extensions). */
export interface CallRecordContext {
  callRecord: CallRecord;
}

/** Context extension carrying the caller's deadline (set by the stream-limits middleware). */
export interface DeadlineContext {
  /** The caller's deadline as epoch ms (Infinity when none was sent). */
  deadline: number;
}
