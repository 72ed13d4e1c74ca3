/**
 * POST /api/generate and POST /api/chat bodies -> GenerateRequest and
 * ChatRequest. Binding follows Go's decoder (bindRequest), then the checks
 * Ollama's handlers make before scheduling, in their order, with their
 * statuses and texts. Every field is kept, so the gateway's proto -> Ollama
 * mapping gives the backend the request the client sent.
 */
import type { ChatRequest, GenerateRequest } from "../../../gen/ollama/v1/ollama.js";
import { bindRequest, type BoundRequest } from "../../ollama/request-binding.js";
import { CHAT_REQUEST, GENERATE_REQUEST } from "../../ollama/request-specs.js";
import { toMessages, toTools } from "./chat-fields.js";
import { parseModelOptions } from "./model-options.js";
import { catchStop, failure, type Parsed } from "./parsed.js";
import { checkModelName, checkTopLogprobs, objectField, text, toFormat, toImages, toInts, toKeepAlive, toThink } from "./request-fields.js";

/** Parses a POST /api/generate body. */
export function parseGenerate(body: string): Parsed<GenerateRequest> {
  const bound = bindRequest(body, GENERATE_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const topLogprobs = checkTopLogprobs(req.top_logprobs);
    const model = text(req.model);
    // Generate answers a missing model with 404, unlike chat (routes.go GenerateHandler).
    checkModelName(model, { status: 404, message: `model '${model}' not found` });
    const raw = req.raw === true;
    const context = toInts(req.context);
    if (raw && (text(req.template) !== "" || text(req.system) !== "" || context.length > 0)) {
      return failure(400, "raw mode does not support template, system, or context");
    }
    const request: GenerateRequest = {
      model,
      prompt: text(req.prompt),
      suffix: text(req.suffix),
      system: text(req.system),
      template: text(req.template),
      images: toImages(req.images),
      raw,
      context,
      ...completionFields(req, topLogprobs),
    };
    return { ok: true, request, stream: req.stream !== false };
  });
}

/** Parses a POST /api/chat body. */
export function parseChat(body: string): Parsed<ChatRequest> {
  const bound = bindRequest(body, CHAT_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const topLogprobs = checkTopLogprobs(req.top_logprobs);
    const model = text(req.model);
    checkModelName(model, { status: 400, message: "model is required" });
    const request: ChatRequest = {
      model,
      messages: toMessages(req.messages),
      tools: toTools(req.tools),
      ...completionFields(req, topLogprobs),
    };
    return { ok: true, request, stream: req.stream !== false };
  });
}

/** The fields generate and chat share; options before format, as Ollama checks them (load, then run). */
function completionFields(req: BoundRequest, topLogprobs: number): Pick<
  GenerateRequest,
  "format" | "options" | "keepAlive" | "think" | "logprobs" | "topLogprobs" | "truncate" | "shift"
> {
  const options = parseModelOptions(objectField(req.options));
  return {
    options,
    format: toFormat(req.format),
    keepAlive: toKeepAlive(req.keep_alive),
    think: toThink(req.think),
    logprobs: req.logprobs === true,
    topLogprobs,
    truncate: typeof req.truncate === "boolean" ? req.truncate : undefined,
    shift: typeof req.shift === "boolean" ? req.shift : undefined,
  };
}
