/**
 * The Ollama simulator's HTTP server and its lifecycle.
 *
 * Each request: read the body, record it, route it, and watch the response's
 * `close` event. A close before the response finished means the client went
 * away: the request's AbortSignal fires (stopping timers, waits and writes)
 * and the outcome "aborted" is counted in the same tick.
 */
import { EventEmitter, once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FaultTable } from "./faults.js";
import { decodeGoJson } from "../ollama/go-json.js";
import { numCtxFor } from "./inference.js";
import { ModelCatalogue } from "./model-catalogue.js";
import { modelKey } from "./model-name.js";
import { resolveOptions, validateLiveSettings } from "./options.js";
import type { FaultSpec, SimulatorOptions } from "./options.js";
import { parseOverrides } from "./overrides.js";
import { Residency } from "./residency.js";
import { HttpError } from "./route-context.js";
import type { SimCore } from "./route-context.js";
import { matchRoute } from "./router.js";
import { SlotTable } from "./slots.js";
import { StatsBook } from "./stats.js";
import type { RecordedRequest, RequestTracker, SimStats } from "./stats.js";
import { writeError, writeText } from "./wire.js";

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  readonly port: number;
  /** The same numbers as GET /sim/stats. */
  stats(): SimStats;
  /** Every request received (not /sim/*), oldest first. */
  requests(): RecordedRequest[];
  /** Sets or clears (`undefined`) the fault for a model name or "*". @throws RangeError on bad input. */
  setFault(model: string, fault: FaultSpec | undefined): void;
  /** Changes pacing, answer length or NUM_PARALLEL for subsequent work. @throws RangeError on bad values. */
  configure(patch: Partial<Pick<SimulatorOptions, "firstTokenMs" | "tokensPerSecond" | "tokens" | "numParallel">>): void;
  /**
   * Emits "request-start" (RecordedRequest), "request-queued" ({id, path, reason})
   * and "request-end" ({id, path, outcome}); "request-end" for a client abort is
   * emitted synchronously when the close is observed.
   */
  readonly events: EventEmitter;
  /** Stops listening and destroys open sockets, stalled streams included. Never hangs; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a simulator on `options.host`:`options.port` (default 127.0.0.1:0).
 * @throws RangeError for invalid options or an unknown preloaded model.
 */
export async function startSimulator(options?: SimulatorOptions): Promise<RunningSimulator> {
  const resolved = resolveOptions(options);
  const events = new EventEmitter();
  const core: SimCore = {
    options: resolved,
    live: {
      firstTokenMs: resolved.firstTokenMs,
      tokensPerSecond: resolved.tokensPerSecond,
      tokens: resolved.tokens,
      numParallel: resolved.numParallel,
    },
    catalogue: new ModelCatalogue(resolved.models, new Date()),
    residency: new Residency({ maxLoadedModels: resolved.maxLoadedModels, maxQueue: resolved.maxQueue }),
    slots: new SlotTable(resolved.numParallel),
    faults: new FaultTable(resolved.faults),
    stats: new StatsBook(events, resolved.requestLogSize),
  };
  for (const name of resolved.preloaded) {
    const entry = core.catalogue.find(name);
    const key = modelKey(name);
    if (entry === undefined || key === undefined) throw new RangeError(`preloaded: unknown model ${JSON.stringify(name)}`);
    core.residency.preload(key, entry, resolved.defaultKeepAliveMs, numCtxFor(entry, {}));
  }

  const server = createServer((req, res) => void serve(core, req, res));
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await listen(server, resolved.port, resolved.host);
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    events,
    stats: () => core.stats.snapshot(),
    requests: () => core.stats.requests(),
    setFault: (model, fault) => core.faults.set(model, fault),
    configure: (patch) => {
      validateLiveSettings(patch);
      Object.assign(core.live, patch);
      if (patch.numParallel !== undefined) core.slots.setCapacity(patch.numParallel);
    },
    close: () => {
      closing ??= shutdown(server, sockets, core);
      return closing;
    },
  };
}

async function serve(core: SimCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startNs = process.hrtime.bigint();
  const controller = new AbortController();
  let tracker: RequestTracker | undefined;
  let closed = false;
  res.on("close", () => {
    closed = true;
    if (!res.writableFinished) controller.abort(new Error("client closed the connection"));
    tracker?.settle(res.writableFinished, res.statusCode);
  });

  let body: string;
  try {
    body = await readBody(req);
  } catch {
    return; // the client went away mid-upload; nothing was recorded
  }
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://sim.invalid").pathname;
  const match = matchRoute(method, path);
  const route = "handler" in match ? match : undefined;
  const decoded = decodeGoJson(body);
  tracker = core.stats.begin(
    { method, path, headers: { ...req.headers }, body: decoded.kind === "ok" ? decoded.value : undefined },
    route?.counted ?? false,
    route?.recorded ?? true,
  );
  if (closed) {
    tracker.settle(res.writableFinished, res.statusCode);
    return;
  }
  if (route === undefined) {
    if ("status" in match) writeText(res, match.status, match.text);
    return;
  }
  const overrides = parseOverrides(req.headers);
  if (!overrides.ok) {
    writeError(res, 400, overrides.message);
    return;
  }
  const ctx = { core, req, res, body, signal: controller.signal, tracker, overrides: overrides.value, startNs };
  try {
    await route.handler(ctx);
  } catch (error) {
    if (!controller.signal.aborted) tracker.markFailed();
    answerFailure(res, controller.signal, error);
  }
}

/** Turns a handler failure into a response, unless the client is gone or bytes were already sent. */
function answerFailure(res: ServerResponse, signal: AbortSignal, error: unknown): void {
  if (signal.aborted || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) writeError(res, error.status, error.message, error.contentType);
  else writeError(res, 500, error instanceof Error ? error.message : String(error));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Stops timers and waits first, then the server. Destroying every socket ends
 * stalled streams; waiting for each socket's own "close" (the server's fires
 * earlier) guarantees every response has settled its outcome before we resolve.
 */
async function shutdown(server: Server, sockets: ReadonlySet<Socket>, core: SimCore): Promise<void> {
  core.residency.close();
  core.slots.rejectAll(new Error("simulator closed"));
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  const socketsClosed = [...sockets].map((socket) => once(socket, "close"));
  for (const socket of sockets) socket.destroy();
  await Promise.all([serverClosed, ...socketsClosed]);
}
