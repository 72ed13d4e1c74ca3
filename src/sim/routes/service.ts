/**
 * Service routes: GET/HEAD / and /api/version (as Ollama), plus the
 * simulator's own GET /sim/stats and GET /sim/requests.
 */
import type { RouteContext } from "../route-context.js";
import { writeJson, writeText } from "../wire.js";

/** Handles GET/HEAD / . */
export async function handleRoot(ctx: RouteContext): Promise<void> {
  writeText(ctx.res, 200, "Ollama is running");
}

/** Handles GET/HEAD /api/version. */
export async function handleVersion(ctx: RouteContext): Promise<void> {
  writeJson(ctx.res, 200, { version: ctx.core.options.version });
}

/** Handles GET /sim/stats: the same numbers as `RunningSimulator.stats()`. */
export async function handleSimStats(ctx: RouteContext): Promise<void> {
  writeJson(ctx.res, 200, ctx.core.stats.snapshot());
}

/** Handles GET /sim/requests: every recorded request, oldest first. */
export async function handleSimRequests(ctx: RouteContext): Promise<void> {
  writeJson(ctx.res, 200, ctx.core.stats.requests());
}
