/**
 * Relays one Ollama NDJSON stream to a gRPC server stream, one message per
 * line, written straight to the transport through a DirectStream (each
 * attempt through withAttempts, which owns leases and retries).
 * Contract:
 * - Nothing is yielded before Ollama's first chunk, so gRPC response headers
 *   are not sent and any failure up to then stays retryable by the caller.
 * - A metered call pays for each message before it is written; the first
 *   one its budget cannot cover is held back and the call ends with the
 *   meter's error.
 * - The call's signal goes to the HTTP request: a cancel or deadline destroys
 *   the upstream socket, which stops Ollama's work.
 * - A failure after the first message ends the RPC with UNAVAILABLE /
 *   UPSTREAM_STREAM_INTERRUPTED, never with a clean end.
 * - The final message's usage also goes to trailing metadata.
 */
import type { OllamaStreamLine } from "../ollama/stream-reader.js";
import type { OllamaMetrics } from "../ollama/types.js";
import { genAiRequestAttributes, type UpstreamSpan, type GenAiOperation } from "../observability/tracing.js";
import { withAttempts, type AttemptCall, type RetrySettings } from "./attempts.js";
import type { Backends } from "./fleet.js";
import { DirectStream } from "./direct-stream.js";
import type { MessageMeter } from "./message-meter.js";

/** One call to relay. */
export interface RelayCall<TOut> extends AttemptCall {
  /** Ollama endpoint path, e.g. "/api/chat". */
  path: string;
  /** The GenAI operation, for traces ("chat", "text_completion"). */
  operation: GenAiOperation;
  /** Request body (already mapped to Ollama's JSON). */
  body: object;
  /** Maps one Ollama line to the gRPC message; `backend` is the serving backend's name. */
  toMessage(line: OllamaStreamLine, backend: string): TOut;
  /** Pays for each message before it goes out (a metered call's token budget). */
  meter?: MessageMeter | undefined;
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

/**
 * Streams `call` from a backend of `fleet`, retrying elsewhere only before
 * the first message. Yields one DirectStream once the first batch has
 * arrived, and writes every message through it (see direct-stream.ts).
 */
export function relayStream<TOut>(fleet: Backends, retry: RetrySettings, call: RelayCall<TOut>): AsyncGenerator<DirectStream<TOut>, void, undefined> {
  call.record.model = call.model;
  const tracing = { operation: call.operation, path: call.path, attributes: genAiRequestAttributes(call.body, true) };
  return withAttempts(fleet, retry, call, tracing, async function* attempt({ lease, client }, signal, span) {
    const backend = lease.endpoint.name;
    const { record, meter } = call;
    const { batches } = await client.stream(call.path, call.body, signal, undefined, span.headers);
    let learned: { model: string; loadMs?: number } | undefined;
    let out: DirectStream<TOut> | undefined;
    try {
      for await (const lines of batches) {
        const messages = new Array<TOut>(lines.length);
        let final = false;
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i] as OllamaStreamLine;
          if (line.done === true) {
            final = true;
            const metrics = line as OllamaMetrics & { done_reason?: string; model?: string };
            recordFinal(metrics, backend, call, span);
            learned = { model: call.modelKey, ...(metrics.load_duration !== undefined && { loadMs: metrics.load_duration / 1e6 }) };
          }
          messages[i] = call.toMessage(line, backend);
        }
        // The final message (usage known, last of its batch) is free: settlement charges Ollama's real counts.
        const toPay = final ? messages.length - 1 : messages.length;
        let paid = toPay;
        if (meter !== undefined && toPay > 0) {
          const payment = meter.pay(toPay);
          paid = typeof payment === "number" ? payment : await payment;
        }
        const deliverable = paid < toPay ? paid : messages.length;
        if (out === undefined && deliverable > 0) {
          out = new DirectStream<TOut>(signal);
          yield out; // The transport attaches its writer as the item passes; response headers go out now.
          if (!out.attached) throw new Error("the transport did not attach the DirectStream");
          // The only tracing work on the per-token path: once per call.
          record.firstChunkAt = performance.now();
          span.firstToken();
        }
        if (deliverable > 0) {
          record.chunksOut += deliverable;
          const wait = (out as DirectStream<TOut>).write(messages, deliverable);
          if (wait !== undefined) await wait;
        }
        if (paid < toPay) throw (meter as MessageMeter).exhausted();
      }
      if (out !== undefined) await out.end();
    } finally {
      out?.close();
    }
    return learned;
  });
}

function recordFinal(final: OllamaMetrics & { done_reason?: string; model?: string }, backend: string, call: RelayCall<unknown>, span: UpstreamSpan): void {
  const { record, trailer } = call;
  record.doneReason = final.done_reason ?? "";
  record.promptTokens = final.prompt_eval_count ?? 0;
  record.completionTokens = final.eval_count ?? 0;
  span.response({ model: final.model, inputTokens: record.promptTokens, outputTokens: record.completionTokens, finishReason: record.doneReason });
  trailer.set(USAGE_TRAILERS.backend, backend);
  trailer.set(USAGE_TRAILERS.doneReason, record.doneReason);
  trailer.set(USAGE_TRAILERS.promptEvalCount, String(record.promptTokens));
  trailer.set(USAGE_TRAILERS.evalCount, String(record.completionTokens));
  trailer.set(USAGE_TRAILERS.totalDurationNs, String(final.total_duration ?? 0));
  trailer.set(USAGE_TRAILERS.loadDurationNs, String(final.load_duration ?? 0));
  trailer.set(USAGE_TRAILERS.promptEvalDurationNs, String(final.prompt_eval_duration ?? 0));
  trailer.set(USAGE_TRAILERS.evalDurationNs, String(final.eval_duration ?? 0));
}
