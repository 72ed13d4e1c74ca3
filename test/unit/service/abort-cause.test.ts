/** How an aborted upstream request is described on its span (ollama_grpc.aborted). */
import { describe, expect, it } from "vitest";
import { abortCause, QuotaExhaustedReason, ShutdownReason, StreamDeadlineReason } from "../../../src/service/abort-reasons.js";

function aborted(reason?: unknown): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

describe("abortCause", () => {
  const now = 1_000_000;
  it.each([
    ["the gateway's max_stream_duration", aborted(new StreamDeadlineReason("max_stream_duration", 1000)), Infinity, "max_stream_duration"],
    ["the gateway's clamp on deadlines", aborted(new StreamDeadlineReason("max_deadline", 1000)), Infinity, "max_deadline"],
    ["shutdown", aborted(new ShutdownReason()), Infinity, "shutdown"],
    ["a token budget spent mid-stream", aborted(new QuotaExhaustedReason()), Infinity, "quota_exhausted"],
    ["a cancel without a deadline", aborted(), Infinity, "cancelled"],
    ["a cancel well before the deadline", aborted(), now + 5_000, "cancelled"],
    ["a cancel just before the deadline (the caller's timer)", aborted(), now + 50, "deadline_exceeded"],
    ["a cancel after the deadline", aborted(), now - 1, "deadline_exceeded"],
  ])("%s -> %s", (_name, signal, deadline, cause) => {
    expect(abortCause(signal, deadline, now)).toBe(cause);
  });
});
