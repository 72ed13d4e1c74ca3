/**
 * Setup file of the "tracing" vitest project: starts the OpenTelemetry SDK
 * (as `ollama-grpc serve` does, but exporting to memory) before the test
 * file's imports load nice-grpc and @grpc/grpc-js.
 */
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startTracing } from "../../src/observability/tracing-sdk.js";
import { memoryExporter } from "./memory-exporter.js";

await startTracing({ env: {}, spanProcessors: [new SimpleSpanProcessor(memoryExporter)] });
