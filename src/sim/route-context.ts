/**
 * What every route handler receives, and the error type handlers throw to
 * answer with a status before any byte of the body was written.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultTable } from "./faults.js";
import type { ModelCatalogue } from "./model-catalogue.js";
import type { LiveSettings, ResolvedOptions } from "./options.js";
import type { RequestOverrides } from "./overrides.js";
import type { Residency } from "./residency.js";
import type { SlotTable } from "./slots.js";
import type { RequestTracker, StatsBook } from "./stats.js";
import { JSON_CONTENT_TYPE } from "./wire.js";

/** Shared simulator state. `live` is mutated by `configure()`. */
export interface SimCore {
  readonly options: ResolvedOptions;
  readonly live: LiveSettings;
  readonly catalogue: ModelCatalogue;
  readonly residency: Residency;
  readonly slots: SlotTable;
  readonly faults: FaultTable;
  readonly stats: StatsBook;
}

/** One request being handled. */
export interface RouteContext {
  readonly core: SimCore;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The request body as text ("" when empty). */
  readonly body: string;
  /** Aborts when the client closes the connection before the response finished (or on shutdown). */
  readonly signal: AbortSignal;
  readonly tracker: RequestTracker;
  readonly overrides: RequestOverrides;
  /** `process.hrtime.bigint()` when handling began; durations are measured from here. */
  readonly startNs: bigint;
}

/** A route implementation. It may throw {@link HttpError} before writing anything. */
export type RouteHandler = (ctx: RouteContext) => Promise<void>;

/** An error answered as `{"error": message}` with `status`, provided nothing was written yet. */
export class HttpError extends Error {
  readonly status: number;
  readonly contentType: string;

  constructor(status: number, message: string, contentType = JSON_CONTENT_TYPE) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.contentType = contentType;
  }
}
