/**
 * The HTTP listener of the front doors (Ollama's /api/* and OpenAI's /v1/*),
 * on its own port, plaintext or TLS (optionally mutual, certificates reloaded
 * by the TLS watcher). It owns what is HTTP-generic: routing, the body cap,
 * one AbortSignal per request that fires when the client goes away (so the
 * Ollama request behind it is closed and the GPU stops), the SERVER span,
 * and a graceful close. What a route answers is the door modules' business.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { Metadata } from "nice-grpc-common";
import type { Logger } from "pino";
import { readBody } from "./body.js";
import type { DoorCall } from "./call-invoker.js";
import { withHttpServerSpan } from "./http-tracing.js";
import { peerOf, requestMetadata } from "./request-metadata.js";

/** One request as a route sees it. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The rest of the path for a route ending in `/*` (decoded), else "". */
  readonly param: string;
  /** The call the route runs through the invoker: metadata from the headers, the request's signal. */
  readonly call: DoorCall;
  /** Reads the body (at most the configured cap; BodyTooLargeError beyond it). */
  body(): Promise<string>;
}

/** A route: method, path (exact, or a prefix ending in `/*`), and its handler, which resolves with the status it answered. */
export interface Route {
  method: "GET" | "HEAD" | "POST" | "DELETE";
  path: string;
  /** The door it belongs to (access log, metrics). */
  door: "ollama" | "openai";
  handle(exchange: Exchange): Promise<number>;
}

/** Where the TLS material comes from; reloaded certificates apply to new handshakes. */
export interface TlsSource {
  secureContextOptions(): HttpsServerOptions;
  /** Calls `listener` after the files changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface FrontDoorOptions {
  /** host:port; port 0 picks a free port. */
  listen: string;
  routes: readonly Route[];
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** TLS; undefined listens in plaintext. */
  tls?: TlsSource | undefined;
}

export interface FrontDoorServer {
  readonly port: number;
  /** Requests being answered. */
  activeRequests(): number;
  /**
   * Stops accepting connections and closes idle keep-alive ones at once;
   * requests in flight get `drainTimeoutMs` (their calls are aborted by the
   * shared terminator when the gRPC drain expires), then every connection is
   * closed. Never hangs. Idempotent.
   */
  close(drainTimeoutMs: number): Promise<void>;
}

/**
 * Keep-alive idle time: longer than the 60 s idle timeout of common L7 load
 * balancers, so the balancer, not the gateway, closes an idle connection
 * (the other order races a request against the close).
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const CLOSE_GRACE_MS = 1_000;

/** Starts the listener. */
export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoorServer> {
  const exact = new Map<string, Route>();
  const prefixes: Array<{ prefix: string; route: Route }> = [];
  for (const route of options.routes) {
    if (route.path.endsWith("/*")) prefixes.push({ prefix: route.path.slice(0, -1), route });
    else exact.set(`${route.method} ${route.path}`, route);
  }
  let active = 0;
  let draining = false;
  const idle: Array<() => void> = [];

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    active += 1;
    if (draining) res.setHeader("Connection", "close");
    const controller = new AbortController();
    const onClose = (): void => {
      // A response that did not finish: the client went away (or the connection was cut). Stop the work.
      if (!res.writableFinished) controller.abort();
      active -= 1;
      if (active === 0) for (const wake of idle.splice(0)) wake();
    };
    res.once("close", onClose);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const found = match(req.method ?? "GET", path);
    if (found === undefined) {
      // gin's answer to an unknown route, which is what Ollama clients expect.
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("404 page not found");
      return;
    }
    const exchange: Exchange = {
      req,
      res,
      param: found.param,
      call: { metadata: requestMetadata(req), peer: peerOf(req), signal: controller.signal, trailer: Metadata(), door: found.route.door },
      body: () => readBody(req, options.maxBodyBytes),
    };
    withHttpServerSpan(req.method ?? "GET", found.route.path, req.headers, () => found.route.handle(exchange)).catch((error: unknown) => {
      options.logger.error({ err: error, method: req.method, route: found.route.path }, "http front door: unhandled error");
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" }).end('{"error":"internal gateway error"}');
      else res.destroy();
    });
  };

  const match = (method: string, path: string): { route: Route; param: string } | undefined => {
    const route = exact.get(`${method} ${path}`) ?? (method === "HEAD" ? exact.get(`GET ${path}`) : undefined);
    if (route !== undefined) return { route, param: "" };
    for (const { prefix, route: candidate } of prefixes) {
      if ((candidate.method === method || (method === "HEAD" && candidate.method === "GET")) && path.startsWith(prefix) && path.length > prefix.length) {
        return { route: candidate, param: decodeURIComponent(path.slice(prefix.length)) };
      }
    }
    return undefined;
  };

  const server: Server =
    options.tls === undefined ? createHttpServer(onRequest) : createHttpsServer({ ...options.tls.secureContextOptions() }, onRequest);
  const unsubscribe = options.tls?.onChange(() => {
    (server as ReturnType<typeof createHttpsServer>).setSecureContext({ ...options.tls!.secureContextOptions() });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  const separator = options.listen.lastIndexOf(":");
  const host = options.listen.slice(0, separator).replace(/^\[|\]$/g, "");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(options.listen.slice(separator + 1)), host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    activeRequests: () => active,
    close(drainTimeoutMs: number): Promise<void> {
      closing ??= (async () => {
        draining = true;
        unsubscribe?.();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (active > 0) await waitIdle(drainTimeoutMs + CLOSE_GRACE_MS);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };

  /** Waits until no request is in flight, at most `ms`; the timer never outlives the wait. */
  async function waitIdle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      idle.push(resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }
}
