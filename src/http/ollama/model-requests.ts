/**
 * POST /api/embed, /api/embeddings (legacy), /api/show and /api/pull bodies
 * -> EmbedRequest, ShowModelRequest and PullModelRequest, bound like Go's
 * decoder and checked in the order of Ollama's handlers, with their texts.
 */
import type { EmbedRequest, PullModelRequest, ShowModelRequest } from "../../../gen/ollama/v1/ollama.js";
import { bindRequest } from "../../ollama/request-binding.js";
import { EMBED_REQUEST, EMBEDDING_REQUEST, PULL_REQUEST, SHOW_REQUEST } from "../../ollama/request-specs.js";
import { parseModelOptions } from "./model-options.js";
import { catchStop, failure, ParseStop, type Parsed } from "./parsed.js";
import { checkModelName, objectField, text, toKeepAlive } from "./request-fields.js";

/**
 * Parses a POST /api/embed body. `input` is a string (one input; "" means
 * none, which only loads the model) or an array of strings. `stream` is
 * always false: the route answers one object.
 */
export function parseEmbed(body: string): Parsed<EmbedRequest> {
  const bound = bindRequest(body, EMBED_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const model = text(req.model);
    checkModelName(model, { status: 404, message: `model '${model}' not found` });
    const request: EmbedRequest = {
      model,
      input: embedInputs(req.input),
      truncate: typeof req.truncate === "boolean" ? req.truncate : undefined,
      // Ollama treats 0 as "full length".
      dimensions: typeof req.dimensions === "number" && req.dimensions !== 0 ? req.dimensions : undefined,
      keepAlive: toKeepAlive(req.keep_alive),
      options: parseModelOptions(objectField(req.options)),
    };
    return { ok: true, request, stream: false };
  });
}

/**
 * Parses a legacy POST /api/embeddings body: `{model, prompt, keep_alive,
 * options}` becomes a one-input EmbedRequest (none when the prompt is empty:
 * Ollama then only loads the model and answers `{"embedding":[]}`).
 */
export function parseEmbeddings(body: string): Parsed<EmbedRequest> {
  const bound = bindRequest(body, EMBEDDING_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const model = text(req.model);
    checkModelName(model, { status: 400, message: "model is required" });
    const prompt = text(req.prompt);
    const request: EmbedRequest = {
      model,
      input: prompt === "" ? [] : [prompt],
      truncate: undefined,
      dimensions: undefined,
      keepAlive: toKeepAlive(req.keep_alive),
      options: parseModelOptions(objectField(req.options)),
    };
    return { ok: true, request, stream: false };
  });
}

/** Parses a POST /api/show body: `model` (or the legacy `name`) and `verbose`. */
export function parseShow(body: string): Parsed<ShowModelRequest> {
  const bound = bindRequest(body, SHOW_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const model = text(req.model) || text(req.name);
    checkModelName(model, { status: 400, message: "model is required" });
    return { ok: true, request: { model, verbose: req.verbose === true, backend: "" }, stream: false };
  });
}

/**
 * Parses a POST /api/pull body: `model` (or the legacy `name`, which the
 * `ollama` npm client sends), `insecure` and `stream` (default true). The
 * pull runs on every backend (`backends` empty).
 */
export function parsePull(body: string): Parsed<PullModelRequest> {
  const bound = bindRequest(body, PULL_REQUEST);
  if (!bound.ok) return failure(400, bound.message);
  return catchStop(() => {
    const req = bound.value;
    const model = text(req.model) || text(req.name);
    checkModelName(model, { status: 400, message: "invalid model name" });
    return { ok: true, request: { model, backends: [], insecure: req.insecure === true }, stream: req.stream !== false };
  });
}

/** Ollama's EmbedHandler: a string, or an array whose items are all strings. */
function embedInputs(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return input === "" ? [] : [input];
  if (Array.isArray(input) && input.every((item): item is string => typeof item === "string")) return [...input];
  throw new ParseStop(400, "invalid input type");
}
