/**
 * The route table. Paths and methods follow Ollama's `GenerateRoutes`; an
 * unknown path is gin's 404 and a known path with the wrong method is its 405
 * (Ollama sets `HandleMethodNotAllowed`).
 */
import type { RouteHandler } from "./route-context.js";
import { handleChat } from "./routes/chat.js";
import { handleEmbed, handleEmbeddings } from "./routes/embed.js";
import { handleGenerate } from "./routes/generate.js";
import { handleCopy, handleDelete, handlePs, handleShow, handleTags } from "./routes/models.js";
import { handlePull } from "./routes/pull.js";
import { handleRoot, handleSimRequests, handleSimStats, handleVersion } from "./routes/service.js";

/** A matched route. */
export interface Route {
  readonly handler: RouteHandler;
  /** Generation-type routes move the stats counters. */
  readonly counted: boolean;
  /** Simulator introspection routes are not recorded, so reading the log does not change it. */
  readonly recorded: boolean;
}

type MethodTable = Readonly<Record<string, Route>>;

const route = (handler: RouteHandler, counted = false, recorded = true): Route => ({ handler, counted, recorded });

const ROUTES: Readonly<Record<string, MethodTable>> = {
  "/": { GET: route(handleRoot), HEAD: route(handleRoot) },
  "/api/version": { GET: route(handleVersion), HEAD: route(handleVersion) },
  "/api/tags": { GET: route(handleTags), HEAD: route(handleTags) },
  "/api/show": { POST: route(handleShow) },
  "/api/ps": { GET: route(handlePs) },
  "/api/pull": { POST: route(handlePull, true) },
  "/api/delete": { DELETE: route(handleDelete) },
  "/api/copy": { POST: route(handleCopy) },
  "/api/generate": { POST: route(handleGenerate, true) },
  "/api/chat": { POST: route(handleChat, true) },
  "/api/embed": { POST: route(handleEmbed, true) },
  "/api/embeddings": { POST: route(handleEmbeddings, true) },
  "/sim/stats": { GET: route(handleSimStats, false, false) },
  "/sim/requests": { GET: route(handleSimRequests, false, false) },
};

/** The route for a request, or the routing status (404 or 405) with gin's text body. */
export function matchRoute(method: string, path: string): Route | { status: 404 | 405; text: string } {
  const methods = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (methods === undefined) return { status: 404, text: "404 page not found" };
  const found = Object.hasOwn(methods, method) ? methods[method] : undefined;
  return found ?? { status: 405, text: "405 method not allowed" };
}
