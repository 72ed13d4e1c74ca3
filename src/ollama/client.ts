/**
 * OllamaClient: the HTTP side of the bridge, one per backend, over an undici
 * Pool with keep-alive connections. It speaks Ollama's JSON and NDJSON and
 * knows nothing of gRPC. Every request takes the call's AbortSignal: aborting
 * it destroys the request's socket, which is how Ollama learns that the
 * caller has gone and stops generating.
 */
import { Pool } from "undici";
import { toUpstreamError, UpstreamError, UpstreamHttpError, UpstreamProtocolError } from "./errors.js";
import { isDoneLine, readOllamaBatches, type FinalLineTest, type OllamaStreamLine } from "./stream-reader.js";

/** Connection settings shared by every backend's pool. */
export interface OllamaClientOptions {
  /** Maximum connections (hence concurrent requests) per backend. */
  connections: number;
  /** TCP connect timeout. */
  connectTimeoutMs: number;
  /** Limit on the wait for response headers, i.e. for the first token (queue + model load + prompt). 0 = none. */
  headersTimeoutMs: number;
  /** Limit on the gap between two body chunks. 0 = none. */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
  /** Cap on one NDJSON line. */
  maxLineBytes?: number;
  /** Value of the User-Agent header. */
  userAgent: string;
}

/** Upper bound on an error body read into memory. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Extra request headers a caller may add, e.g. trace context (`traceparent`).
 * They never replace the client's own content-type, accept or user-agent.
 */
export type ExtraHeaders = Readonly<Record<string, string>>;

/** A streaming response whose status was 2xx. */
export interface OllamaStream {
  /** The stream's lines in batches (see readOllamaBatches), ending with the final one. */
  readonly batches: AsyncGenerator<OllamaStreamLine[], void, undefined>;
}

/** Client for one Ollama backend. */
export class OllamaClient {
  /** The backend's configured name (used in errors, logs and responses). */
  readonly backend: string;
  readonly #pool: Pool;
  readonly #options: OllamaClientOptions;

  constructor(backend: string, url: string, options: OllamaClientOptions) {
    this.backend = backend;
    this.#options = options;
    this.#pool = new Pool(url, {
      connections: options.connections,
      connectTimeout: options.connectTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      pipelining: 1,
    });
  }

  /**
   * POSTs `body` as JSON to a streaming endpoint (/api/generate, /api/chat,
   * /api/pull; `isFinal` names the stream's last line). Resolves once Ollama has sent its response headers, which it
   * does only with the first chunk. Rejects with an UpstreamError (non-2xx
   * status, connection failure, timeout), or with an AbortError when `signal`
   * aborts. The returned lines throw UpstreamErrors the same way.
   * `headers` are sent along (see ExtraHeaders).
   */
  async stream(path: string, body: object, signal: AbortSignal, isFinal: FinalLineTest = isDoneLine, headers?: ExtraHeaders): Promise<OllamaStream> {
    let response: Awaited<ReturnType<Pool["request"]>>;
    try {
      response = await this.#pool.request({
        method: "POST",
        path,
        body: JSON.stringify(body),
        headers: {
          ...headers,
          "content-type": "application/json",
          accept: "application/x-ndjson, application/json",
          "user-agent": this.#options.userAgent,
        },
        signal,
      });
    } catch (error) {
      throw this.#tag(toUpstreamError(error));
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw this.#tag(await readHttpError(response));
    }
    return { batches: readOllamaBatches(response.body, this.#options.maxLineBytes, isFinal, (error) => this.#tag(toUpstreamError(error))) };
  }

  /**
   * Sends a non-streaming request (GET /api/tags, POST /api/embed, DELETE
   * /api/delete, ...) and reads its JSON object answer; an empty 2xx body
   * (delete, copy) reads as {}. Rejects with an UpstreamError (non-2xx,
   * connection failure, a body that is not a JSON object) or an AbortError
   * when `signal` aborts. `headers` are sent along (see ExtraHeaders).
   */
  async json(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body: object | undefined,
    signal: AbortSignal,
    headers?: ExtraHeaders,
  ): Promise<Record<string, unknown>> {
    try {
      const response = await this.#pool.request({
        method,
        path,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        headers: {
          ...headers,
          accept: "application/json",
          "user-agent": this.#options.userAgent,
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        signal,
      });
      if (response.statusCode < 200 || response.statusCode > 299) throw await readHttpError(response);
      const text = await response.body.text();
      if (text.trim() === "") return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new UpstreamProtocolError("UNEXPECTED_VALUE", `${path} did not answer with JSON`, { cause });
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new UpstreamProtocolError("UNEXPECTED_VALUE", `${path} did not answer with a JSON object`);
      }
      return parsed as Record<string, unknown>;
    } catch (error) {
      throw this.#tag(toUpstreamError(error));
    }
  }

  /** Closes idle connections and waits for in-flight requests to finish. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Destroys every connection at once (in-flight requests fail). */
  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }

  #tag(error: unknown): unknown {
    if (error instanceof UpstreamError) error.backend = this.backend;
    return error;
  }
}

/** Reads a non-2xx response as Ollama's `{"error": "..."}` body (or its text when it is not JSON). */
async function readHttpError(response: Awaited<ReturnType<Pool["request"]>>): Promise<UpstreamHttpError> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      if (size + buffer.length > MAX_ERROR_BODY_BYTES) {
        chunks.push(buffer.subarray(0, MAX_ERROR_BODY_BYTES - size));
        response.body.destroy();
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } catch {
    // The status code alone still classifies the error; a broken error body adds nothing.
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  return new UpstreamHttpError(response.statusCode, errorMessageOf(text, response.statusCode), retryAfterOf(response.headers["retry-after"]));
}

function errorMessageOf(text: string, status: number): string {
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === "string") return parsed.error;
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  return text === "" ? `HTTP ${status}` : text;
}

function retryAfterOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
