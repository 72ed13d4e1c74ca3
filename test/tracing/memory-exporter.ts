/**
 * The in-memory span exporter the tracing tests read. setup-sdk.ts installs
 * it (through a SimpleSpanProcessor: each span is exported as it ends)
 * before the test file loads @grpc/grpc-js; tests import it from here (one
 * module instance per test file). Waits are event-driven: every export
 * re-checks them.
 */
import type { ExportResult } from "@opentelemetry/core";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { EventWaits } from "../support/event-waits.js";

class NotifyingExporter extends InMemorySpanExporter {
  readonly waits = new EventWaits(5_000, "tracing: ");

  override export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    super.export(spans, resultCallback);
    this.waits.notify();
  }

  /** Resolves with the finished spans of `traceId` once `ready` holds for them (rejects after 5 s). */
  spansOf(traceId: string, ready: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
    const ofTrace = () => this.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    return this.waits.until(
      `spans of trace ${traceId} as expected`,
      () => {
        const spans = ofTrace();
        return ready(spans) ? spans : undefined;
      },
      () => `; have: ${ofTrace().map((s) => s.name).join(", ")}`,
    );
  }
}

export const memoryExporter = new NotifyingExporter();
