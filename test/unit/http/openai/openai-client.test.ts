/**
 * The official `openai` npm client, pointed at a node:http server that
 * answers with this module's parsers and encoders, must assemble what the
 * canned proto responses say: content, tool calls, finish_reason, usage,
 * embeddings (its default base64 included), models, and errors as APIErrors
 * with the right status. The server is a stand-in for the lead's listener;
 * only the mapping is under test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Status } from "nice-grpc";
import { ServerError } from "nice-grpc-common";
import OpenAI, { APIError, NotFoundError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChatResponse,
  EmbedResponse,
  GenerateResponse,
  ListModelsResponse,
  Role,
  type ChatRequest,
} from "../../../../gen/ollama/v1/ollama.js";
import {
  ChatChunkEncoder,
  ChatCompletionAccumulator,
  CompletionAccumulator,
  CompletionChunkEncoder,
  SSE_CONTENT_TYPE,
  embeddingsBody,
  findModel,
  modelListBody,
  openAiError,
  parseChatCompletionRequest,
  parseCompletionRequest,
  parseEmbeddingsRequest,
  type OpenAiFailure,
} from "../../../../src/http/openai/index.js";

const CREATED = 1_700_000_000;
const USAGE = { promptEvalCount: 20, evalCount: 5 };

const chatText = (content: string, thinking = "") =>
  ChatResponse.fromPartial({ model: "m", message: { role: Role.ROLE_ASSISTANT, content, thinking } });
const chatDone = (doneReason = "stop") =>
  ChatResponse.fromPartial({ model: "m", message: { role: Role.ROLE_ASSISTANT }, done: true, doneReason, usage: USAGE });

/** Canned Chat streams, chosen by the request's model. */
const CHAT_SCRIPTS: Record<string, ChatResponse[]> = {
  "text-model": [chatText("", "Pondering. "), chatText("Hello"), chatText(", world"), chatDone("stop")],
  "tool-model": [
    chatText("Checking."),
    ChatResponse.fromPartial({
      message: {
        role: Role.ROLE_ASSISTANT,
        toolCalls: [{ id: "call_w1", function: { index: 0, name: "get_weather", arguments: { city: "Paris", unit: "C" } } }],
      },
    }),
    ChatResponse.fromPartial({
      message: { role: Role.ROLE_ASSISTANT, toolCalls: [{ id: "call_t1", function: { index: 0, name: "get_time", arguments: {} } }] },
    }),
    chatDone("stop"),
  ],
};

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function defer(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let server: Server;
let client: OpenAI;
const chatRequests: ChatRequest[] = [];
/** Resolved when the server sees the abort-model client go away. */
const abortSeen = defer();

beforeAll(async () => {
  server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "x", maxRetries: 0 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(body);
}

function sendFailure(res: ServerResponse, failure: OpenAiFailure): void {
  sendJson(res, failure.status, failure.body);
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const url = req.url ?? "";
  if (req.method === "POST" && url === "/v1/chat/completions") return chat(body, res);
  if (req.method === "POST" && url === "/v1/completions") return completions(body, res);
  if (req.method === "POST" && url === "/v1/embeddings") return embeddings(body, res);
  const models = ListModelsResponse.fromPartial({ models: [{ name: "llama3.2:latest", modifiedAt: new Date(CREATED * 1000) }] });
  if (req.method === "GET" && url === "/v1/models") return sendJson(res, 200, modelListBody(models));
  if (req.method === "GET" && url.startsWith("/v1/models/")) {
    const found = findModel(models, decodeURIComponent(url.slice("/v1/models/".length)));
    return found.ok ? sendJson(res, 200, found.body) : sendFailure(res, found);
  }
  sendJson(res, 404, "{}");
}

function chat(body: string, res: ServerResponse): void {
  const parsed = parseChatCompletionRequest(body);
  if (!parsed.ok) return sendFailure(res, parsed);
  chatRequests.push(parsed.request);
  const { model } = parsed.request;
  if (model === "missing") return sendFailure(res, openAiError(new ServerError(Status.NOT_FOUND, "model 'missing' not found")));
  const identity = { id: "chatcmpl-42", created: CREATED, model };
  if (!parsed.stream) {
    const whole = new ChatCompletionAccumulator(identity);
    for (const response of CHAT_SCRIPTS[model] ?? []) whole.add(response);
    return sendJson(res, 200, whole.body());
  }
  const encoder = new ChatChunkEncoder({ ...identity, includeUsage: parsed.includeUsage });
  res.writeHead(200, { "Content-Type": SSE_CONTENT_TYPE });
  if (model === "failing-model") {
    res.write(encoder.encode(chatText("Hel")).join(""));
    res.end(encoder.fail(new ServerError(Status.UNAVAILABLE, "backend connection lost")).join(""));
    return;
  }
  if (model === "abort-model") {
    // One chunk, then nothing until the client goes away.
    res.on("close", () => abortSeen.resolve());
    res.write(encoder.encode(chatText("Hel")).join(""));
    return;
  }
  for (const response of CHAT_SCRIPTS[model] ?? []) res.write(encoder.encode(response).join(""));
  res.end();
}

function completions(body: string, res: ServerResponse): void {
  const parsed = parseCompletionRequest(body);
  if (!parsed.ok) return sendFailure(res, parsed);
  const identity = { id: "cmpl-42", created: CREATED, model: parsed.request.model };
  const script = [
    GenerateResponse.fromPartial({ response: "Once" }),
    GenerateResponse.fromPartial({ response: " upon" }),
    GenerateResponse.fromPartial({ done: true, doneReason: "length", usage: USAGE }),
  ];
  if (!parsed.stream) {
    const whole = new CompletionAccumulator(identity);
    script.forEach((response) => whole.add(response));
    return sendJson(res, 200, whole.body());
  }
  const encoder = new CompletionChunkEncoder({ ...identity, includeUsage: parsed.includeUsage });
  res.writeHead(200, { "Content-Type": SSE_CONTENT_TYPE });
  res.end(script.flatMap((response) => encoder.encode(response)).join(""));
}

const VECTORS = [[0.1, -0.2, 0.3], [1.5, 0, -2.25]];

function embeddings(body: string, res: ServerResponse): void {
  const parsed = parseEmbeddingsRequest(body);
  if (!parsed.ok) return sendFailure(res, parsed);
  const response = EmbedResponse.fromPartial({
    model: parsed.request.model,
    embeddings: parsed.request.input.map((_, i) => ({ values: (VECTORS[i] ?? []).map(Math.fround) })),
    promptEvalCount: 7,
  });
  sendJson(res, 200, embeddingsBody(response, parsed.request.model, parsed.encodingFormat));
}

describe("the openai npm client against the /v1 mapping", () => {
  it("assembles a streamed chat completion: content, finish_reason and usage", async () => {
    const stream = client.chat.completions.stream({
      model: "text-model",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
      stream_options: { include_usage: true },
      temperature: 0.3,
      max_completion_tokens: 50,
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Hello, world");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.usage).toStrictEqual({ prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 });
    expect(final.id).toBe("chatcmpl-42");
    const sent = chatRequests.at(-1);
    expect(sent?.messages.map((m) => m.role)).toStrictEqual([Role.ROLE_SYSTEM, Role.ROLE_USER]);
    expect(sent?.options).toMatchObject({ temperature: 0.3, numPredict: 50 });
  });

  it("assembles streamed tool calls with their ids, names and arguments, and finish_reason tool_calls", async () => {
    const stream = client.chat.completions.stream({
      model: "tool-model",
      messages: [{ role: "user", content: "Weather and time in Paris?" }],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
      ],
    });
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("Checking.");
    expect(
      choice?.message.tool_calls?.map((call) => (call.type === "function" ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : [])),
    ).toStrictEqual([
      ["call_w1", "get_weather", { city: "Paris", unit: "C" }],
      ["call_t1", "get_time", {}],
    ]);
    expect(chatRequests.at(-1)?.tools.map((tool) => tool.function?.name)).toStrictEqual(["get_weather", "get_time"]);
  });

  it("sends a tool result back in the shape the parser maps to a tool message", async () => {
    await client.chat.completions.create({
      model: "text-model",
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_w1", content: "18C" },
      ],
    });
    const [, assistant, tool] = chatRequests.at(-1)?.messages ?? [];
    expect(assistant?.toolCalls[0]?.function?.arguments).toStrictEqual({ city: "Paris" });
    expect(tool).toMatchObject({ role: Role.ROLE_TOOL, content: "18C", toolCallId: "call_w1", toolName: "get_weather" });
  });

  it("reads a non-streamed chat completion", async () => {
    const completion = await client.chat.completions.create({ model: "text-model", messages: [{ role: "user", content: "Hi" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "Hello, world" });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.total_tokens).toBe(25);
  });

  it("raises NotFoundError (404) for an error answered before the stream", async () => {
    const attempt = client.chat.completions.create({ model: "missing", messages: [{ role: "user", content: "Hi" }], stream: true });
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(attempt).rejects.toMatchObject({ status: 404, message: "404 model 'missing' not found", type: "not_found_error" });
  });

  it("raises a 400 from the parser as a BadRequestError", async () => {
    const attempt = client.chat.completions.create({ model: "text-model", messages: [] });
    await expect(attempt).rejects.toMatchObject({ status: 400, message: "400 [] is too short - 'messages'" });
  });

  it("raises an APIError when the stream fails after it started", async () => {
    const stream = await client.chat.completions.create({ model: "failing-model", messages: [{ role: "user", content: "Hi" }], stream: true });
    const seen: string[] = [];
    const consume = async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    };
    await expect(consume()).rejects.toSatisfy((error) => error instanceof APIError && error.message === "backend connection lost");
    expect(seen).toStrictEqual(["Hel"]);
  });

  it("lets the client abort a stream mid-way; the server sees the connection close", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "abort-model", messages: [{ role: "user", content: "Hi" }], stream: true },
      { signal: controller.signal },
    );
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta.content ?? "");
      controller.abort();
    }
    expect(seen).toStrictEqual(["Hel"]);
    await abortSeen.promise;
  });

  it("streams and reads legacy completions", async () => {
    const stream = await client.completions.create({ model: "m", prompt: "Once", stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text ?? null)).toStrictEqual(["Once", " upon", "", null]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.at(-1)?.usage).toStrictEqual({ prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 });

    const whole = await client.completions.create({ model: "m", prompt: "Once", max_tokens: 2 });
    expect(whole.choices[0]).toMatchObject({ text: "Once upon", finish_reason: "length" });
  });

  it("decodes embeddings in its default base64 encoding and in float", async () => {
    const expected = VECTORS.map((vector) => vector.map(Math.fround));
    const base64 = await client.embeddings.create({ model: "e", input: ["a", "b"] });
    expect(base64.data.map((item) => Array.from(item.embedding))).toStrictEqual(expected);
    expect(base64.usage).toStrictEqual({ prompt_tokens: 7, total_tokens: 7 });

    const floats = await client.embeddings.create({ model: "e", input: "a", encoding_format: "float" });
    expect(floats.data[0]?.embedding).toStrictEqual([0.1, -0.2, 0.3]);
  });

  it("lists and retrieves models, and raises NotFoundError for an unknown one", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toStrictEqual(["llama3.2:latest"]);
    expect(await client.models.retrieve("llama3.2")).toStrictEqual({ id: "llama3.2", object: "model", created: CREATED, owned_by: "library" });
    await expect(client.models.retrieve("nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});
