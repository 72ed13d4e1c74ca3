/**
 * The saturation ceiling: a nice-grpc server that answers
 * ollama.v1.OllamaService/Generate by yielding one pre-encoded
 * GenerateResponse (the shape of the gateway's token messages) per token,
 * as fast as back-pressure allows. No upstream, no parsing, no mapping:
 * what nice-grpc + grpc-js alone cost per streamed message.
 *
 *   node --import tsx bench/relay/ceiling-server.ts [--ttl-s 3600]
 *
 * Prints `{"ports":[N]}` once listening; exits when its parent's IPC channel closes.
 */
import { parseArgs } from "node:util";
import { createServer } from "nice-grpc";
import { GenerateRequest, GenerateResponse } from "../../gen/ollama/v1/ollama.js";
import { BENCH_MODEL, decodeSpec, GENERATE_PATH, monotonicUs } from "./wire.js";

const { values } = parseArgs({ options: { "ttl-s": { type: "string", default: "3600" } } });
setTimeout(() => process.exit(0), Number(values["ttl-s"]) * 1000).unref();
process.on("disconnect", () => process.exit(0));

const TOKEN = Buffer.from(GenerateResponse.encode(GenerateResponse.fromPartial({ model: BENCH_MODEL, createdAt: new Date(), response: String(monotonicUs()), done: false })).finish());
const FINAL = Buffer.from(GenerateResponse.encode(GenerateResponse.fromPartial({ model: BENCH_MODEL, createdAt: new Date(), done: true, doneReason: "stop", backend: "ceiling" })).finish());
const identity = (b: Buffer): Buffer => b;

const definition = {
  generate: {
    path: GENERATE_PATH,
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} as const;

const server = createServer();
server.add(definition, {
  async *generate(request: Buffer) {
    const { tokens } = decodeSpec(GenerateRequest.decode(request).prompt);
    for (let i = 0; i < tokens; i++) yield TOKEN;
    yield FINAL;
  },
});
const port = await server.listen("127.0.0.1:0");
process.stdout.write(`${JSON.stringify({ ports: [port] })}\n`);
