/**
 * A plain grpc-js client built at runtime from proto/ with
 * @grpc/proto-loader: it sends a real `grpc-timeout` header (unlike
 * nice-grpc's client-side deadline middleware) and proves the .proto works
 * without ts-proto.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { packageFile } from "../../src/common/package-files.js";

type StreamCall = grpc.ClientReadableStream<Record<string, unknown>>;
interface OllamaServiceRawClient extends grpc.Client {
  Chat(request: object, options: grpc.CallOptions): StreamCall;
  Generate(request: object, options: grpc.CallOptions): StreamCall;
}

const definition = protoLoader.loadSync(packageFile("proto/ollama/v1/ollama.proto"), {
  includeDirs: [packageFile("proto")],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  ollama: { v1: { OllamaService: new (target: string, credentials: grpc.ChannelCredentials) => OllamaServiceRawClient } };
};

/** Creates a raw client for `target`. */
export function createRawClient(target: string): OllamaServiceRawClient {
  return new loaded.ollama.v1.OllamaService(target, grpc.credentials.createInsecure());
}

/** Outcome of a raw streaming call. */
export interface RawOutcome {
  messages: Array<Record<string, unknown>>;
  error?: grpc.ServiceError;
  /** performance.now() when the call ended. */
  endedAt: number;
}

/** Runs a streaming call to completion or error (listening to 'error', see toolchain gotcha G7). */
export function runRaw(call: StreamCall): Promise<RawOutcome> {
  const messages: Array<Record<string, unknown>> = [];
  return new Promise((resolve) => {
    call.on("data", (message: Record<string, unknown>) => messages.push(message));
    call.on("error", (error: grpc.ServiceError) => resolve({ messages, error, endedAt: performance.now() }));
    call.on("end", () => resolve({ messages, endedAt: performance.now() }));
  });
}
