/**
 * Tracing as a user turns it on: `ollama-grpc serve` (the compiled CLI, a
 * separate process) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a fake
 * OTLP/gRPC collector in this process. Proves that the CLI starts the SDK
 * before grpc-js loads (otherwise there would be no server span, silently),
 * that the caller's trace reaches the exported spans, that SIGTERM flushes
 * them, and that a missing collector neither delays the exit nor prints errors.
 * Runs the compiled CLI (make test builds first).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { createChannel, createClient, Metadata } from "nice-grpc";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OllamaServiceDefinition, Role } from "../../gen/ollama/v1/ollama.js";
import { packageFile } from "../../src/common/package-files.js";
import { startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { EventWaits } from "../support/event-waits.js";
import { collect } from "../support/harness.js";
import { unusedPort } from "../support/ports.js";

const BIN = packageFile("bin/ollama-grpc.js");
const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const children: ChildProcessWithoutNullStreams[] = [];
let sim: RunningSimulator;

beforeAll(async () => {
  if (!existsSync(packageFile("dist/src/cli/main.js"))) throw new Error("dist/ is missing: run `make build` (make test does it)");
  sim = await startSimulator({ tokensPerSecond: 0, firstTokenMs: 0, defaultLoadMs: 0, tokens: 4 });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await sim.close();
});

/** A fake OTLP/gRPC trace collector: keeps each ExportTraceServiceRequest as raw protobuf bytes. */
async function startCollector(): Promise<{ port: number; requests: Buffer[]; waits: EventWaits; close(): void }> {
  const server = new grpc.Server();
  const requests: Buffer[] = [];
  const waits = new EventWaits(10_000, "collector: ");
  const raw = (buffer: Buffer) => buffer;
  server.addService(
    { Export: { path: EXPORT_PATH, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        requests.push(call.request);
        waits.notify();
        callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse: all accepted
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, requests, waits, close: () => server.forceShutdown() };
}

/** Starts `ollama-grpc serve` with `otel` as its only OTEL_* variables; resolves once it listens. */
async function serve(otel: Record<string, string>): Promise<{ child: ChildProcessWithoutNullStreams; target: string; output(): string }> {
  const port = await unusedPort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")));
  const child = spawn(process.execPath, [BIN, "serve", "--listen", `127.0.0.1:${port}`, "--backend", `b1=${sim.url}`, "--admin-listen", ""], {
    env: { ...env, ...otel },
  });
  children.push(child);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway not listening after 10 s:\n${output}`)), 10_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      if (output.includes('"msg":"gateway listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
  return { child, target: `127.0.0.1:${port}`, output: () => output };
}

/** Sends SIGTERM and resolves with the exit code and how long the exit took. */
async function terminate(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; ms: number }> {
  const startedAt = performance.now();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return { code: await exited, ms: performance.now() - startedAt };
}

async function chat(target: string, metadata: Metadata, content: string): Promise<void> {
  const channel = createChannel(target);
  try {
    await collect(createClient(OllamaServiceDefinition, channel).chat({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content }] }, { metadata }));
  } finally {
    channel.close();
  }
}

it("serve exports the caller's trace over OTLP/gRPC, flushed on SIGTERM, without prompt text", async () => {
  const collector = await startCollector();
  try {
    // A long batch delay: the spans can only arrive through the shutdown flush.
    const gateway = await serve({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`, OTEL_BSP_SCHEDULE_DELAY: "60000" });
    expect(gateway.output()).toContain('"msg":"tracing enabled"');
    const traceId = "5b8efff798038103d269b633813fc60c";
    const secret = "OTLP-PROMPT-b41d7e";
    await chat(gateway.target, Metadata({ traceparent: `00-${traceId}-eee19b7ec3c1b174-01` }), `${secret} hello`);
    expect(collector.requests).toHaveLength(0);

    const exit = await terminate(gateway.child);
    expect(exit.code).toBe(0);
    const exported = Buffer.concat(collector.requests);
    expect(exported.includes(Buffer.from(traceId, "hex"))).toBe(true);
    for (const text of ["grpc.ollama.v1.OllamaService/Chat", "chat llama3.2", "gen_ai.usage.output_tokens", "ollama-grpc-gateway"]) {
      expect(exported.includes(Buffer.from(text)), text).toBe(true);
    }
    expect(exported.includes(Buffer.from(secret))).toBe(false);
  } finally {
    collector.close();
  }
});

it("with no collector listening, SIGTERM still exits promptly and quietly", async () => {
  const gateway = await serve({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await unusedPort()}` });
  await chat(gateway.target, Metadata(), "hello");
  const exit = await terminate(gateway.child);
  expect(exit.code).toBe(0);
  expect(exit.ms).toBeLessThan(7_000); // the final flush is bounded (5 s) on top of the drain
  const errors = gateway
    .output()
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("{"));
  expect(errors, "only pino JSON lines").toEqual([]);
});

it("without OTEL_* variables tracing stays off", async () => {
  const gateway = await serve({});
  expect(gateway.output()).toMatch(/"reason":"no OTEL_TRACES_EXPORTER or OTLP endpoint set","msg":"tracing off"/);
  expect((await terminate(gateway.child)).code).toBe(0);
});
