/**
 * The Ollama-compatible door: Ollama's own HTTP API, served by the fleet.
 * A client written for Ollama (the official `ollama` npm or Python package,
 * curl scripts, LangChain's ChatOllama...) only changes its host. Each route
 * parses Ollama's JSON into the OllamaService request (http/ollama/), runs
 * it through the shared chain (auth, limits, balancing, retries, tracing,
 * metrics and the access log all apply), and writes Ollama's bytes back:
 * NDJSON streams with headers sent with the first line, `{"error": ...}`
 * bodies with Ollama's status codes, and an error line when a stream fails
 * after it started. A client that disconnects aborts the call, which closes
 * the Ollama request behind it.
 */
import type {
  ChatResponse,
  EmbedResponse,
  GenerateResponse,
  GetVersionResponse,
  ListModelsResponse,
  ListRunningModelsResponse,
  PullModelResponse,
  ShowModelResponse,
} from "../../gen/ollama/v1/ollama.js";
import { BodyTooLargeError } from "./body.js";
import type { CallInvoker, MethodName } from "./call-invoker.js";
import type { Exchange, Route } from "./front-door-server.js";
import { collectMessages, streamFrames, type FrameFormat } from "./stream-response.js";
import { NDJSON_CONTENT_TYPE, STREAM_ERROR_CONTENT_TYPE } from "../ollama/content-types.js";
import { failureHeaders, sendJson } from "./responses.js";
import {
  ChatAccumulator,
  chatChunkJson,
  embeddingsJson,
  embedJson,
  GenerateAccumulator,
  generateChunkJson,
  ollamaErrorBody,
  ollamaErrorJson,
  ollamaStreamErrorLine,
  parseChat,
  parseEmbed,
  parseEmbeddings,
  parseGenerate,
  parsePull,
  parseShow,
  psJson,
  PullProgress,
  showJson,
  tagsJson,
  versionJson,
  type Parsed,
} from "./ollama/index.js";

/** What Ollama answers on GET / (load balancers and `ollama` clients probe it). */
const ROOT_TEXT = "Ollama is running";

/** The routes of the Ollama door. */
export function ollamaRoutes(invoker: CallInvoker): Route[] {
  const door = "ollama" as const;
  const unary = <Res>(method: MethodName, encode: (response: Res) => string) => async (x: Exchange, request: unknown) => {
    try {
      return sendJson(x.res, 200, encode(await invoker.unary<Res>(method, request, x.call)));
    } catch (error) {
      return fail(x, error);
    }
  };
  const parsedUnary = <Req, Res>(parse: (body: string) => Parsed<Req>, method: MethodName, encode: (response: Res) => string) => {
    const run = unary<Res>(method, encode);
    return async (x: Exchange) => {
      const parsed = await parseBody(x, parse);
      return parsed.ok ? run(x, parsed.request) : badRequest(x, parsed);
    };
  };
  return [
    { door, method: "GET", path: "/", handle: async (x) => text(x, ROOT_TEXT) },
    { door, method: "GET", path: "/api/version", handle: (x) => unary<GetVersionResponse>("getVersion", versionJson)(x, {}) },
    { door, method: "GET", path: "/api/tags", handle: (x) => unary<ListModelsResponse>("listModels", tagsJson)(x, {}) },
    { door, method: "GET", path: "/api/ps", handle: (x) => unary<ListRunningModelsResponse>("listRunningModels", psJson)(x, {}) },
    { door, method: "POST", path: "/api/show", handle: parsedUnary(parseShow, "showModel", (r: ShowModelResponse) => showJson(r)) },
    { door, method: "POST", path: "/api/embed", handle: parsedUnary(parseEmbed, "embed", (r: EmbedResponse) => embedJson(r)) },
    { door, method: "POST", path: "/api/embeddings", handle: parsedUnary(parseEmbeddings, "embed", (r: EmbedResponse) => embeddingsJson(r)) },
    {
      door,
      method: "POST",
      path: "/api/generate",
      handle: (x) =>
        completion<GenerateResponse>(invoker, x, "generate", parseGenerate, generateChunkJson, () => new GenerateAccumulator(), (r) => (r as { prompt: string }).prompt === ""),
    },
    {
      door,
      method: "POST",
      path: "/api/chat",
      handle: (x) =>
        completion<ChatResponse>(invoker, x, "chat", parseChat, chatChunkJson, () => new ChatAccumulator(), (r) => (r as { messages: unknown[] }).messages.length === 0),
    },
    { door, method: "POST", path: "/api/pull", handle: (x) => pull(invoker, x) },
  ];
}

/** An accumulator for `"stream": false`: Ollama then answers one object with the whole answer. */
interface Accumulator<T> {
  add(message: T): void;
  json(): string;
}

/**
 * Generate and Chat: NDJSON stream, or one object when the request says
 * `"stream": false`, or is a load/unload shortcut (no prompt, no messages),
 * which Ollama always answers with one JSON object.
 */
async function completion<T>(
  invoker: CallInvoker,
  x: Exchange,
  method: MethodName,
  parse: (body: string) => Parsed<unknown>,
  line: (message: T) => string,
  accumulator: () => Accumulator<T>,
  isShortcut: (request: unknown) => boolean,
): Promise<number> {
  const parsed = await parseBody(x, parse);
  if (!parsed.ok) return badRequest(x, parsed);
  const items = invoker.stream(method, parsed.request, x.call);
  if (!parsed.stream || isShortcut(parsed.request)) {
    const whole = accumulator();
    try {
      await collectMessages<T>(items, (message) => whole.add(message));
    } catch (error) {
      return fail(x, error);
    }
    return sendJson(x.res, 200, whole.json());
  }
  return streamFrames<T>(x, items, ndjson(x, (message) => [`${line(message)}\n`]));
}

/** PullModel: Ollama's progress stream (or the final object), across the backends pulled on. */
async function pull(invoker: CallInvoker, x: Exchange): Promise<number> {
  const parsed = await parseBody(x, parsePull);
  if (!parsed.ok) return badRequest(x, parsed);
  const progress = new PullProgress();
  const items = invoker.stream("pullModel", parsed.request, x.call);
  if (!parsed.stream) {
    try {
      await collectMessages<PullModelResponse>(items, (message) => progress.lines(message));
    } catch (error) {
      // Every backend failed: Ollama answers with the pull's own error, which the progress holds.
      if (!progress.failed || x.call.signal.aborted) return fail(x, error);
    }
    const final = progress.final();
    return sendJson(x.res, final.ok ? 200 : 500, final.json, { "Content-Type": STREAM_ERROR_CONTENT_TYPE });
  }
  return streamFrames<PullModelResponse>(x, items, {
    ...ndjson(x, (message) => progress.lines(message)),
    end: () => [`${progress.final().json}\n`],
    // Every backend failed: the last line is the pull's own error, in Ollama's words.
    failure: (error) => [`${progress.failed ? progress.final().json : ollamaStreamErrorLine(error)}\n`],
  });
}

/** Ollama's NDJSON stream: one line per frame, an `{"error": ...}` line when it fails after it started. */
function ndjson<T>(x: Exchange, frames: (message: T) => readonly string[]): FrameFormat<T> {
  return {
    headers: { "Content-Type": NDJSON_CONTENT_TYPE },
    frames,
    failure: (error) => [`${ollamaStreamErrorLine(error)}\n`],
    fail: (error) => fail(x, error),
  };
}

/** Reads and parses the body; a body over the cap is a 413 in Ollama's error shape. */
async function parseBody<Req>(x: Exchange, parse: (body: string) => Parsed<Req>): Promise<Parsed<Req>> {
  try {
    return parse(await x.body());
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, status: 413, message: error.message };
    throw error;
  }
}

function badRequest(x: Exchange, parsed: { status: number; message: string }): number {
  return sendJson(x.res, parsed.status, ollamaErrorJson(parsed.message));
}

/** A failed call -> Ollama's status and `{"error": ...}`; a client that left gets nothing. */
function fail(x: Exchange, error: unknown): number {
  if (x.call.signal.aborted && !(error instanceof Error && "code" in error)) return 499;
  // The route picks Ollama's wording where it differs (embed routes name a missing model differently).
  const answer = ollamaErrorBody(error, x.call.trailer, new URL(x.req.url ?? "/", "http://gateway").pathname);
  return sendJson(x.res, answer.status, answer.body, failureHeaders(answer.retryAfterSeconds));
}

function text(x: Exchange, body: string): number {
  x.res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)) });
  x.res.end(x.req.method === "HEAD" ? undefined : body);
  return 200;
}
