/**
 * The OpenAI-compatible front door's mapping layer: /v1 request bodies ->
 * proto requests, proto responses -> /v1 answers. Pure: no I/O, no clock
 * (callers pass ids and timestamps in).
 */
export { parseChatCompletionRequest, type ParsedChatCompletion } from "./chat-request.js";
export { parseCompletionRequest, type ParsedCompletion } from "./completion-request.js";
export { parseEmbeddingsRequest, type EncodingFormat, type ParsedEmbeddings } from "./embeddings-request.js";
export type { ParseResult } from "./parse-result.js";

export { ChatChunkEncoder, ChatCompletionAccumulator } from "./chat-response.js";
export { CompletionChunkEncoder, CompletionAccumulator } from "./completion-response.js";
export { embeddingsBody } from "./embeddings-response.js";
export { findModel, modelListBody, type ModelLookup } from "./models.js";
export {
  SSE_CONTENT_TYPE,
  SSE_DONE,
  newChatCompletionId,
  newCompletionId,
  sseErrorEvent,
  type CompletionIdentity,
  type StreamOptions,
} from "./response-parts.js";

export { openAiError, openAiFailure, type OpenAiFailure } from "./errors.js";
