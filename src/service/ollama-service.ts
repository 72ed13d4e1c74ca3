/**
 * The OllamaService implementation. Generate and Chat validate, map to
 * Ollama's JSON and relay the stream (async generators: nice-grpc applies
 * back-pressure between yields and calls `return()` when the caller goes
 * away); the other RPCs each live in their own module.
 */
import type { CallContext } from "nice-grpc";
import type {
  ChatRequest,
  ChatResponse,
  CopyModelRequest,
  CopyModelResponse,
  DeleteModelRequest,
  DeleteModelResponse,
  EmbedRequest,
  EmbedResponse,
  GenerateRequest,
  GenerateResponse,
  GetVersionRequest,
  GetVersionResponse,
  ListModelsRequest,
  ListModelsResponse,
  ListRunningModelsRequest,
  ListRunningModelsResponse,
  LoadModelRequest,
  LoadModelResponse,
  OllamaServiceImplementation,
  PullModelRequest,
  PullModelResponse,
  ShowModelRequest,
  ShowModelResponse,
  UnloadModelRequest,
  UnloadModelResponse,
} from "../../gen/ollama/v1/ollama.js";
import { embed } from "./embed.js";
import { loadModel } from "./load-model.js";
import { requireManagement } from "./management.js";
import { copyModel, deleteModel, unloadModel, type AdminContext } from "./model-admin.js";
import { pullModel } from "./pull-model.js";
import { listRunningModels } from "./running-models.js";
import { showModel } from "./show-model.js";
import { getVersion } from "./versions.js";
import type { OllamaStreamLine } from "../ollama/stream-reader.js";
import type { OllamaChatChunk, OllamaGenerateChunk } from "../ollama/types.js";
import { modelKey } from "../ollama/model-name.js";
import type { GenAiOperation } from "../observability/tracing.js";
import type { AttemptCall, RetrySettings } from "./attempts.js";
import type { CallRecordContext, DeadlineContext } from "./call-record.js";
import type { Backends } from "./fleet.js";
import type { DirectStream } from "./direct-stream.js";
import type { MessageMeterContext } from "./message-meter.js";
import { fetchCatalogues, mergeCatalogues } from "./model-catalogue.js";
import { toOllamaChatRequest, toOllamaGenerateRequest } from "./request-mapping.js";
import { toChatResponse, toGenerateResponse } from "./response-mapping.js";
import { invalidArgument } from "./status.js";
import { relayStream } from "./stream-relay.js";
import { validateChatRequest, validateGenerateRequest, type FieldViolation, type RequestLimits } from "./validate-request.js";

/** What the service needs from the composition root. */
export interface OllamaServiceDeps {
  fleet: Backends;
  limits: RequestLimits;
  /** Per-backend limit on metadata and admin calls (GET /api/tags, /api/ps, /api/show, DELETE /api/delete...). */
  metadataTimeoutMs: number;
  /** Largest Embed batch accepted. */
  maxEmbedInputs: number;
  /** Whether management calls (pull, delete, copy, load, unload) are allowed. */
  managementEnabled: boolean;
  /** This gateway's version, for GetVersion. */
  gatewayVersion: string;
  /** Retries before the first message. */
  retry: RetrySettings;
  /** Metadata keys read per call: the affinity key (sessions) and the queue priority. */
  affinityMetadata: string;
  priorityMetadata: string;
  /** Called after a management call changed what backends hold (so routing learns it at once). */
  onFleetChanged?(backends: string[]): void;
}

/** The extension of CallContext the handlers require (the meter only on metered calls). */
export type GatewayContext = CallRecordContext & Partial<DeadlineContext> & MessageMeterContext;

/** The context every handler runs with: the call record, the caller's deadline, a metered call's meter. */
type ServiceContext = CallContext & GatewayContext;

/**
 * OllamaService as this gateway implements it: Generate and Chat yield one
 * DirectStream, through which the relay writes their token messages straight
 * to the transport (service/direct-stream.ts); every other method has
 * ts-proto's signature.
 */
export type GatewayServiceImplementation = Omit<OllamaServiceImplementation<GatewayContext>, "generate" | "chat"> & {
  generate(request: GenerateRequest, context: CallContext & GatewayContext): AsyncIterable<DirectStream<GenerateResponse>>;
  chat(request: ChatRequest, context: CallContext & GatewayContext): AsyncIterable<DirectStream<ChatResponse>>;
};

/** Builds the service implementation. Handlers require the call-record context. */
export function createOllamaService(deps: OllamaServiceDeps): GatewayServiceImplementation {
  return {
    generate: streamingHandler<GenerateRequest, GenerateResponse>(deps, {
      path: "/api/generate",
      operation: "text_completion",
      validate: validateGenerateRequest,
      toBody: toOllamaGenerateRequest,
      toMessage: (line, backend) => toGenerateResponse(line as unknown as OllamaGenerateChunk, backend),
    }),
    chat: streamingHandler<ChatRequest, ChatResponse>(deps, {
      path: "/api/chat",
      operation: "chat",
      validate: validateChatRequest,
      toBody: toOllamaChatRequest,
      toMessage: (line, backend) => toChatResponse(line as unknown as OllamaChatChunk, backend),
    }),
    async listModels(_request: ListModelsRequest, context: CallContext): Promise<ListModelsResponse> {
      return mergeCatalogues(await fetchCatalogues(deps.fleet, context.signal, deps.metadataTimeoutMs));
    },
    async embed(request: EmbedRequest, context: ServiceContext): Promise<EmbedResponse> {
      return embed(deps.fleet, deps.retry, request, attemptCall(deps, request.model, context), deps.maxEmbedInputs);
    },
    async showModel(request: ShowModelRequest, context: ServiceContext): Promise<ShowModelResponse> {
      return showModel(deps.fleet, request, context.signal, context.callRecord, deps.metadataTimeoutMs);
    },
    async listRunningModels(_request: ListRunningModelsRequest, context: CallContext): Promise<ListRunningModelsResponse> {
      return listRunningModels(deps.fleet, context.signal, deps.metadataTimeoutMs);
    },
    async getVersion(_request: GetVersionRequest, context: CallContext): Promise<GetVersionResponse> {
      return getVersion(deps.fleet, deps.gatewayVersion, context.signal, deps.metadataTimeoutMs);
    },
    async *pullModel(request: PullModelRequest, context: ServiceContext): AsyncGenerator<PullModelResponse> {
      requireManagement(deps.managementEnabled, "PullModel");
      try {
        yield* pullModel(deps.fleet, request, { signal: context.signal, record: context.callRecord, trailer: context.trailer });
      } finally {
        deps.onFleetChanged?.(request.backends.length > 0 ? request.backends : deps.fleet.endpoints.map((e) => e.name));
      }
    },
    async deleteModel(request: DeleteModelRequest, context: ServiceContext): Promise<DeleteModelResponse> {
      requireManagement(deps.managementEnabled, "DeleteModel");
      return changed(deps, await deleteModel(adminContext(deps, context), request));
    },
    async copyModel(request: CopyModelRequest, context: ServiceContext): Promise<CopyModelResponse> {
      requireManagement(deps.managementEnabled, "CopyModel");
      return changed(deps, await copyModel(adminContext(deps, context), request));
    },
    async loadModel(request: LoadModelRequest, context: ServiceContext): Promise<LoadModelResponse> {
      requireManagement(deps.managementEnabled, "LoadModel");
      return changed(deps, await loadModel(adminContext(deps, context), request));
    },
    async unloadModel(request: UnloadModelRequest, context: ServiceContext): Promise<UnloadModelResponse> {
      requireManagement(deps.managementEnabled, "UnloadModel");
      return changed(deps, await unloadModel(adminContext(deps, context), request));
    },
  };
}

/** Tells the fleet which backends a management call touched, and passes the response on. */
function changed<R extends { results: Array<{ backend: string }> }>(deps: OllamaServiceDeps, response: R): R {
  deps.onFleetChanged?.(response.results.map((r) => r.backend));
  return response;
}

function adminContext(deps: OllamaServiceDeps, context: ServiceContext): AdminContext {
  return { fleet: deps.fleet, signal: context.signal, record: context.callRecord, timeoutMs: deps.metadataTimeoutMs };
}

/** What distinguishes one streaming RPC from another. */
interface StreamingRoute<Req, Res> {
  path: string;
  /** GenAI operation name for traces: Generate is a text completion (prompt in, text out), Chat a chat. */
  operation: GenAiOperation;
  validate(request: Req, limits: RequestLimits): FieldViolation[];
  toBody(request: Req): object;
  toMessage(line: OllamaStreamLine, backend: string): Res;
}

/** validate -> map -> relay, the same for every streaming RPC. */
function streamingHandler<Req extends { model: string }, Res>(deps: OllamaServiceDeps, route: StreamingRoute<Req, Res>) {
  // A plain function returning the relay's generator, not a generator delegating to it: one
  // async-generator layer less on the per-token path. nice-grpc starts it lazily (inside its own
  // generator), so a validation error thrown here still ends the call as an ordinary failure.
  return function handle(request: Req, context: ServiceContext): AsyncGenerator<DirectStream<Res>, void, undefined> {
    context.callRecord.model = request.model;
    const violations = route.validate(request, deps.limits);
    if (violations.length > 0) throw invalidArgument(violations);
    return relayStream(deps.fleet, deps.retry, {
      ...attemptCall(deps, request.model, context),
      path: route.path,
      operation: route.operation,
      body: route.toBody(request),
      toMessage: route.toMessage,
      meter: context.messageMeter,
    });
  };
}

/**
 * The routing facts of a call: the model's key, the affinity key (e.g.
 * `x-session-id`, so a conversation returns to the backend holding its
 * cache), the queue priority (`x-priority`, an integer; higher first) and
 * the caller's deadline.
 */
function attemptCall(deps: OllamaServiceDeps, model: string, context: ServiceContext): AttemptCall {
  const affinity = context.metadata.get(deps.affinityMetadata);
  const priority = Number(context.metadata.get(deps.priorityMetadata));
  return {
    model,
    modelKey: modelKey(model),
    affinityKey: typeof affinity === "string" && affinity !== "" ? affinity : undefined,
    priority: Number.isInteger(priority) ? Math.max(-1000, Math.min(1000, priority)) : 0,
    deadline: context.deadline ?? Number.POSITIVE_INFINITY,
    signal: context.signal,
    record: context.callRecord,
    trailer: context.trailer,
  };
}
