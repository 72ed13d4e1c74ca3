/**
 * The OllamaService implementation: validate, map to Ollama's JSON, relay the
 * stream. Each handler is an async generator; nice-grpc applies back-pressure
 * between yields and calls `return()` when the caller goes away.
 */
import type { CallContext } from "nice-grpc";
import type {
  ChatRequest,
  ChatResponse,
  GenerateRequest,
  GenerateResponse,
  ListModelsRequest,
  ListModelsResponse,
  OllamaServiceImplementation,
} from "../../gen/ollama/v1/ollama.js";
import type { OllamaStreamLine } from "../ollama/stream-reader.js";
import type { OllamaChatChunk, OllamaGenerateChunk } from "../ollama/types.js";
import type { CallRecordContext } from "./call-record.js";
import type { Fleet } from "./fleet.js";
import { fetchCatalogues, mergeCatalogues } from "./model-catalogue.js";
import { toOllamaChatRequest, toOllamaGenerateRequest } from "./request-mapping.js";
import { toChatResponse, toGenerateResponse } from "./response-mapping.js";
import { invalidArgument } from "./status.js";
import { relayStream } from "./stream-relay.js";
import { validateChatRequest, validateGenerateRequest, type FieldViolation, type RequestLimits } from "./validate-request.js";

/** What the service needs from the composition root. */
export interface OllamaServiceDeps {
  fleet: Fleet;
  limits: RequestLimits;
  /** Per-backend limit on metadata calls such as GET /api/tags. */
  metadataTimeoutMs: number;
}

/** Builds the service implementation. Handlers require the call-record context. */
export function createOllamaService(deps: OllamaServiceDeps): OllamaServiceImplementation<CallRecordContext> {
  return {
    generate: streamingHandler<GenerateRequest, GenerateResponse>(deps, {
      path: "/api/generate",
      validate: validateGenerateRequest,
      toBody: toOllamaGenerateRequest,
      toMessage: (line, backend) => toGenerateResponse(line as unknown as OllamaGenerateChunk, backend),
    }),
    chat: streamingHandler<ChatRequest, ChatResponse>(deps, {
      path: "/api/chat",
      validate: validateChatRequest,
      toBody: toOllamaChatRequest,
      toMessage: (line, backend) => toChatResponse(line as unknown as OllamaChatChunk, backend),
    }),
    async listModels(_request: ListModelsRequest, context: CallContext): Promise<ListModelsResponse> {
      return mergeCatalogues(await fetchCatalogues(deps.fleet, context.signal, deps.metadataTimeoutMs));
    },
  };
}

/** What distinguishes one streaming RPC from another. */
interface StreamingRoute<Req, Res> {
  path: string;
  validate(request: Req, limits: RequestLimits): FieldViolation[];
  toBody(request: Req): object;
  toMessage(line: OllamaStreamLine, backend: string): Res;
}

/** validate -> map -> relay, the same for every streaming RPC. */
function streamingHandler<Req extends { model: string }, Res>(deps: OllamaServiceDeps, route: StreamingRoute<Req, Res>) {
  return async function* handle(request: Req, context: CallContext & CallRecordContext): AsyncGenerator<Res, void, undefined> {
    context.callRecord.model = request.model;
    const violations = route.validate(request, deps.limits);
    if (violations.length > 0) throw invalidArgument(violations);
    yield* relayStream(deps.fleet, {
      path: route.path,
      body: route.toBody(request),
      model: request.model,
      signal: context.signal,
      record: context.callRecord,
      trailer: context.trailer,
      toMessage: route.toMessage,
    });
  };
}
