#!/usr/bin/env node
// Entry point of the `ollama-grpc` command: runs the compiled CLI (`make build`).
//
// `serve` and `demo` first start OpenTelemetry tracing (a no-op unless OTEL_*
// variables enable it). The gRPC instrumentation must hook @grpc/grpc-js before
// anything loads it, so the CLI, which loads grpc-js, is imported only afterwards.
const command = process.argv[2];
if (command === "serve" || command === "demo") {
  const { startTracing } = await import("../dist/src/observability/tracing-sdk.js");
  try {
    await startTracing();
  } catch (error) {
    console.error(`ollama-grpc ${command}: tracing not started: ${error instanceof Error ? error.message : String(error)}`);
  }
}
const { main } = await import("../dist/src/cli/main.js");

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Commands close everything they open; this only guards against a stray handle keeping the process alive.
setTimeout(() => process.exit(code), 3_000).unref();
