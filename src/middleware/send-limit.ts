/**
 * Keeps unary responses under the gRPC send limit (transport.max_send_message_bytes,
 * 4 MiB by default, what gRPC clients accept by default), failing with a
 * precise RESOURCE_EXHAUSTED the caller can act on.
 *
 * grpc-js enforces the same limit on its own (server-interceptors.ts), but
 * only after the handler has returned: the client gets RESOURCE_EXHAUSTED
 * "Sent message larger than max (N vs. M)" with no advice, and our access
 * log and metrics, which saw the handler succeed, record OK. Here the
 * oversized response becomes an error inside the chain, so it is logged and
 * counted as what the client saw, and carries ErrorInfo + BadRequest saying
 * how to stay under the limit. Responses that can grow that large:
 * Embed (inputs × dimensions × 4 bytes: 256 inputs of a 4096-dimension
 * model are 4 MiB), ShowModel with `verbose` (tokenizer vocabularies in
 * model_info), ListModels on a very large fleet.
 *
 * Streaming responses pass through: their messages are single chunks.
 * gRPC door only (the HTTP doors have no such limit). Costs one extra
 * encoding of each unary response.
 */
import { Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import { BadRequest, ErrorInfo, RichServerError } from "nice-grpc-error-details";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import { ERROR_DOMAIN, Reason } from "../service/status.js";

/** ErrorInfo reason of a response over the send limit (stable API). */
export const RESPONSE_TOO_LARGE = Reason.RESPONSE_TOO_LARGE;

type Encoder = (message: any) => { finish(): Uint8Array };

/** The encoder of each unary OllamaService response, by method path. */
const ENCODERS = new Map<string, Encoder>(
  Object.values(OllamaServiceDefinition.methods)
    .filter((method) => !method.responseStream)
    .map((method) => [`/${OllamaServiceDefinition.fullName}/${method.name}`, (message) => (method.responseType as { encode: Encoder }).encode(message)]),
);

/** Creates the middleware for a limit of `maxSendMessageBytes` (> 0). */
export function sendLimitMiddleware(maxSendMessageBytes: number) {
  return async function* sendLimit<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext): AsyncGenerator<Res, Res | void, undefined> {
    const encode = call.method.responseStream ? undefined : ENCODERS.get(call.method.path);
    const response = yield* call.next(call.request, context);
    if (encode === undefined || response === undefined) return response;
    const size = encode(response).finish().length;
    if (size > maxSendMessageBytes) throw tooLarge(call.method.path, call.request, response, size, maxSendMessageBytes);
    return response;
  };
}

function tooLarge(path: string, request: unknown, response: unknown, size: number, limit: number): RichServerError {
  const method = path.slice(path.lastIndexOf("/") + 1);
  const advice = adviceFor(method, request, response, size, limit);
  const message =
    `${method} response is ${size} bytes, over the ${limit}-byte limit on sent messages (transport.max_send_message_bytes)` +
    (advice === undefined ? "" : `: ${advice.description}`);
  return new RichServerError(Status.RESOURCE_EXHAUSTED, message, [
    ErrorInfo.fromPartial({ reason: RESPONSE_TOO_LARGE, domain: ERROR_DOMAIN, metadata: { method, responseBytes: String(size), limitBytes: String(limit) } }),
    ...(advice === undefined ? [] : [BadRequest.fromPartial({ fieldViolations: [advice] })]),
  ]);
}

/** What the caller can change, for the responses that can grow large. */
function adviceFor(method: string, request: unknown, response: unknown, size: number, limit: number): { field: string; description: string } | undefined {
  if (method === "Embed") {
    const inputs = (request as { input?: unknown[] }).input?.length ?? 0;
    const vectors = (response as { embeddings?: unknown[] }).embeddings?.length ?? 0;
    if (vectors === 0) return undefined;
    const fit = Math.max(1, Math.floor((limit / size) * vectors));
    return { field: "input", description: `${inputs} inputs give a ${size}-byte response; send at most ${fit} inputs per call (or fewer dimensions)` };
  }
  if (method === "ShowModel" && (request as { verbose?: boolean }).verbose === true) {
    return { field: "verbose", description: "the verbose model_info does not fit; call without verbose" };
  }
  return undefined;
}
