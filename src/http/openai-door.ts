/**
 * The OpenAI-compatible door: /v1/chat/completions, /v1/completions,
 * /v1/embeddings and /v1/models, as Ollama serves them, in front of the
 * fleet. A client written for OpenAI (the official `openai` SDKs, LangChain,
 * LlamaIndex...) changes only its base URL; its API key is a gateway API key
 * when auth is on (it arrives as `Authorization: Bearer ...`). The mapping
 * lives in http/openai/; this module runs calls through the shared chain and
 * writes Server-Sent Events or JSON. A client that disconnects aborts the
 * call, which closes the Ollama request behind it.
 */
import type { ChatResponse, EmbedResponse, GenerateResponse, ListModelsResponse } from "../../gen/ollama/v1/ollama.js";
import { BodyTooLargeError } from "./body.js";
import type { CallInvoker, MethodName } from "./call-invoker.js";
import type { Exchange, Route } from "./front-door-server.js";
import { collectMessages, streamFrames } from "./stream-response.js";
import { failureHeaders, sendJson } from "./responses.js";
import {
  ChatChunkEncoder,
  ChatCompletionAccumulator,
  CompletionAccumulator,
  CompletionChunkEncoder,
  embeddingsBody,
  findModel,
  modelListBody,
  newChatCompletionId,
  newCompletionId,
  openAiError,
  openAiFailure,
  parseChatCompletionRequest,
  parseCompletionRequest,
  parseEmbeddingsRequest,
  SSE_CONTENT_TYPE,
  type OpenAiFailure,
  type ParseResult,
} from "./openai/index.js";

/** The routes of the OpenAI door. */
export function openAiRoutes(invoker: CallInvoker): Route[] {
  const door = "openai" as const;
  return [
    {
      door,
      method: "POST",
      path: "/v1/chat/completions",
      handle: (x) =>
        completion<ChatResponse>(invoker, x, "chat", parseChatCompletionRequest, (identity, includeUsage) => ({
          stream: new ChatChunkEncoder({ ...identity, includeUsage }),
          whole: new ChatCompletionAccumulator(identity),
        }), newChatCompletionId),
    },
    {
      door,
      method: "POST",
      path: "/v1/completions",
      handle: (x) =>
        completion<GenerateResponse>(invoker, x, "generate", parseCompletionRequest, (identity, includeUsage) => ({
          stream: new CompletionChunkEncoder({ ...identity, includeUsage }),
          whole: new CompletionAccumulator(identity),
        }), newCompletionId),
    },
    {
      door,
      method: "POST",
      path: "/v1/embeddings",
      handle: async (x) => {
        const parsed = await parseBody(x, parseEmbeddingsRequest);
        if (!parsed.ok) return failWith(x, parsed);
        try {
          const response = await invoker.unary<EmbedResponse>("embed", parsed.request, x.call);
          return sendJson(x.res, 200, embeddingsBody(response, parsed.request.model, parsed.encodingFormat));
        } catch (error) {
          return fail(x, error);
        }
      },
    },
    {
      door,
      method: "GET",
      path: "/v1/models",
      handle: async (x) => {
        try {
          return sendJson(x.res, 200, modelListBody(await invoker.unary<ListModelsResponse>("listModels", {}, x.call)));
        } catch (error) {
          return fail(x, error);
        }
      },
    },
    {
      door,
      method: "GET",
      path: "/v1/models/*",
      handle: async (x) => {
        try {
          const found = findModel(await invoker.unary<ListModelsResponse>("listModels", {}, x.call), x.param);
          return found.ok ? sendJson(x.res, 200, found.body) : failWith(x, found);
        } catch (error) {
          return fail(x, error);
        }
      },
    },
  ];
}

/** What a completion is encoded with: SSE events while streaming, one object otherwise. */
interface Encoders<T> {
  stream: { encode(message: T): string[]; fail(error: unknown): string[]; readonly ended: boolean };
  whole: { add(message: T): void; body(): string };
}

/** Chat and text completions: SSE (`stream: true`) or one JSON object. */
async function completion<T>(
  invoker: CallInvoker,
  x: Exchange,
  method: MethodName,
  parse: (body: string) => ParseResult<{ request: { model: string }; stream: boolean; includeUsage: boolean }>,
  encoders: (identity: { id: string; created: number; model: string }, includeUsage: boolean) => Encoders<T>,
  newId: () => string,
): Promise<number> {
  const parsed = await parseBody(x, parse);
  if (!parsed.ok) return failWith(x, parsed);
  const { stream, whole } = encoders({ id: newId(), created: Math.floor(Date.now() / 1000), model: parsed.request.model }, parsed.includeUsage);
  const items = invoker.stream(method, parsed.request, x.call);
  if (!parsed.stream) {
    try {
      await collectMessages<T>(items, (message) => whole.add(message));
    } catch (error) {
      return fail(x, error);
    }
    return sendJson(x.res, 200, whole.body());
  }
  return streamFrames<T>(x, items, {
    headers: { "Content-Type": SSE_CONTENT_TYPE, "Cache-Control": "no-cache" },
    frames: (message) => stream.encode(message),
    failure: (error) => stream.fail(error),
    fail: (error) => fail(x, error),
  });
}

/** Reads and parses the body; a body over the cap is a 413 in OpenAI's error shape. */
async function parseBody<T>(x: Exchange, parse: (body: string) => ParseResult<T>): Promise<ParseResult<T>> {
  try {
    return parse(await x.body());
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, ...openAiFailure(413, error.message) } as ParseResult<T>;
    throw error;
  }
}

function failWith(x: Exchange, failure: OpenAiFailure): number {
  return sendJson(x.res, failure.status, failure.body, failureHeaders(failure.retryAfterSeconds));
}

/** A failed call -> OpenAI's error object with the status Ollama would use; a client that left gets nothing. */
function fail(x: Exchange, error: unknown): number {
  if (x.call.signal.aborted && !(error instanceof Error && "code" in error)) return 499;
  return failWith(x, openAiError(error, x.call.trailer));
}
