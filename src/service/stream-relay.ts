/**
 * Relays one Ollama NDJSON stream to a gRPC server stream, one message per
 * line. Contract:
 * - Nothing is yielded before Ollama's first chunk, so gRPC response headers
 *   are not sent and any failure up to then stays retryable by the caller.
 * - The call's signal goes to the HTTP request: a cancel or deadline destroys
 *   the upstream socket, which stops Ollama's work.
 * - A failure after the first message ends the RPC with UNAVAILABLE /
 *   UPSTREAM_STREAM_INTERRUPTED, never with a clean end.
 * - The final message's usage also goes to trailing metadata.
 */
import type { Metadata } from "nice-grpc";
import type { OllamaStreamLine } from "../ollama/stream-reader.js";
import type { OllamaMetrics } from "../ollama/types.js";
import type { CallRecord } from "./call-record.js";
import type { Fleet } from "./fleet.js";
import { noBackend, throwMapped } from "./status.js";

/** One call to relay. */
export interface RelayCall<TOut> {
  /** Ollama endpoint path, e.g. "/api/chat". */
  path: string;
  /** Request body (already mapped to Ollama's JSON). */
  body: object;
  /** Requested model, for records and errors. */
  model: string;
  /** The call's signal (client cancel, deadline, gateway limits). */
  signal: AbortSignal;
  /** Filled in as the call progresses. */
  record: CallRecord;
  /** The call's trailing metadata. */
  trailer: Metadata;
  /** Maps one Ollama line to the gRPC message; `backend` is the serving backend's name. */
  toMessage(line: OllamaStreamLine, backend: string): TOut;
}

/** Trailer keys carrying the final usage (documented in the README). */
export const USAGE_TRAILERS = {
  backend: "ollama-backend",
  doneReason: "ollama-done-reason",
  promptEvalCount: "ollama-prompt-eval-count",
  evalCount: "ollama-eval-count",
  totalDurationNs: "ollama-total-duration-ns",
  loadDurationNs: "ollama-load-duration-ns",
  promptEvalDurationNs: "ollama-prompt-eval-duration-ns",
  evalDurationNs: "ollama-eval-duration-ns",
} as const;

/** Streams `call` from a backend picked in `fleet`. */
export async function* relayStream<TOut>(fleet: Fleet, call: RelayCall<TOut>): AsyncGenerator<TOut, void, undefined> {
  const { record, signal } = call;
  record.model = call.model;
  const picked = fleet.pick();
  if (picked === undefined) throw noBackend(call.model);
  const backend = picked.endpoint.name;
  record.backend = backend;
  try {
    const { lines } = await picked.client.stream(call.path, call.body, signal);
    for await (const line of lines) {
      if (line.done === true) recordFinal(line as OllamaMetrics & { done_reason?: string }, backend, call);
      const message = call.toMessage(line, backend);
      if (record.chunksOut === 0) record.firstChunkAt = performance.now();
      record.chunksOut += 1;
      yield message;
    }
  } catch (error) {
    throwMapped(error, signal, { model: call.model, chunksSent: record.chunksOut, backend }, call);
  }
}

function recordFinal(final: OllamaMetrics & { done_reason?: string }, backend: string, call: RelayCall<unknown>): void {
  const { record, trailer } = call;
  record.doneReason = final.done_reason ?? "";
  record.promptTokens = final.prompt_eval_count ?? 0;
  record.completionTokens = final.eval_count ?? 0;
  trailer.set(USAGE_TRAILERS.backend, backend);
  trailer.set(USAGE_TRAILERS.doneReason, record.doneReason);
  trailer.set(USAGE_TRAILERS.promptEvalCount, String(record.promptTokens));
  trailer.set(USAGE_TRAILERS.evalCount, String(record.completionTokens));
  trailer.set(USAGE_TRAILERS.totalDurationNs, String(final.total_duration ?? 0));
  trailer.set(USAGE_TRAILERS.loadDurationNs, String(final.load_duration ?? 0));
  trailer.set(USAGE_TRAILERS.promptEvalDurationNs, String(final.prompt_eval_duration ?? 0));
  trailer.set(USAGE_TRAILERS.evalDurationNs, String(final.eval_duration ?? 0));
}
