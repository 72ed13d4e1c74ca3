/**
 * Serializing one token message: nice-grpc's default path for ts-proto
 * (fromPartial + encode + finish + Buffer.from) vs the token encoder.
 *
 *   node --import tsx bench/micro/token-encoding.ts
 */
import { ChatResponse } from "../../gen/ollama/v1/ollama.js";
import { toChatResponse } from "../../src/service/response-mapping.js";
import { encodeChatResponse } from "../../src/server/token-encoding.js";
const chunk = { model: "llama3.2", created_at: "2026-11-21T18:00:00.123456789Z", message: { role: "assistant", content: " token" }, done: false };
const N = 300_000;
const time = (name: string, fn: () => unknown) => { for (let i = 0; i < 20000; i++) fn(); const t = process.hrtime.bigint(); for (let i = 0; i < N; i++) fn(); console.log(name.padEnd(40), (Number(process.hrtime.bigint() - t) / N).toFixed(0), "ns/op"); };
const msg = toChatResponse(chunk as never, "b1");
time("nice-grpc default (fromPartial+encode+copy)", () => Buffer.from(ChatResponse.encode(ChatResponse.fromPartial(msg)).finish()));
time("fast encoder + copy", () => Buffer.from(encodeChatResponse(msg)));
time("fast encoder only", () => encodeChatResponse(msg));
time("ts-proto encode only", () => ChatResponse.encode(msg).finish());
const b = encodeChatResponse(msg);
time("Buffer.from copy only", () => Buffer.from(b));
