/**
 * Steps shared by the inference routes (generate, chat, embed): model lookup,
 * per-request settings, the scheduler and slot waits, and final metrics.
 * The order of checks in each route follows Ollama's handlers, because the
 * first failing check decides which error a client sees.
 */
import { STATUS_CODES } from "node:http";
import { RUNNER_CRASH_MESSAGE } from "./faults.js";
import { goQuote, parseKeepAlive } from "../ollama/keep-alive.js";
import type { CatalogueEntry, SimCapability } from "./model-catalogue.js";
import { modelKey } from "./model-name.js";
import { bindRequest } from "../ollama/request-binding.js";
import type { BoundRequest, StructSpec } from "../ollama/request-binding.js";
import { readModelOptions } from "./model-options.js";
import type { ModelOptions } from "./model-options.js";
import type { FaultSpec } from "./options.js";
import { QueueFullError } from "./residency.js";
import type { Lease } from "./residency.js";
import { HttpError } from "./route-context.js";
import type { RouteContext } from "./route-context.js";
import type { ReleaseSlot } from "./slots.js";
import { JSON_CONTENT_TYPE, STREAM_ERROR_CONTENT_TYPE } from "./wire.js";

/** An installed model and its scheduler key. */
export interface ResolvedModel {
  readonly entry: CatalogueEntry;
  readonly key: string;
}

/** Settings for one request: live settings overlaid with `x-sim-*` headers. */
export interface RequestSettings {
  readonly fault: FaultSpec | undefined;
  readonly tokens: number;
  readonly tokensPerSecond: number;
  readonly firstTokenMs: number;
}

/** Binds the body onto `spec`, answering Ollama's 400 text on failure. */
export function bindBody(ctx: RouteContext, spec: StructSpec): BoundRequest {
  const result = bindRequest(ctx.body, spec);
  if (!result.ok) throw new HttpError(400, result.message);
  return result.value;
}

/** A bound string field ("" when absent, Go's zero value). */
export function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A bound array field ([] when absent). */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Whether to think. Thinking models default to thinking when `think` is not
 * sent; for other models a truthy `think` is a 400 naming the model as sent.
 */
export function resolveThink(entry: CatalogueEntry, think: unknown, modelAsSent: string): boolean {
  if (hasCapability(entry, "thinking")) return think !== false;
  if (think === true || (typeof think === "string" && think !== "")) {
    throw new HttpError(400, `${goQuote(modelAsSent)} does not support thinking`);
  }
  return false;
}

/** Finds an installed model by the name a client sent. */
export function lookupModel(ctx: RouteContext, name: string): ResolvedModel | undefined {
  const entry = ctx.core.catalogue.find(name);
  const key = modelKey(name);
  return entry === undefined || key === undefined ? undefined : { entry, key };
}

/** Whether `entry` has `capability`. */
export function hasCapability(entry: CatalogueEntry, capability: SimCapability): boolean {
  return entry.capabilities.includes(capability);
}

/** The request's fault and pacing: a header wins over the fault table and live settings. */
export function requestSettings(ctx: RouteContext, key: string): RequestSettings {
  const { live, faults } = ctx.core;
  const o = ctx.overrides;
  return {
    fault: o.fault ?? faults.forModel(key),
    tokens: o.tokens ?? live.tokens,
    tokensPerSecond: o.tokensPerSecond ?? live.tokensPerSecond,
    firstTokenMs: o.firstTokenMs ?? live.firstTokenMs,
  };
}

/**
 * Throws the fault's pre-first-byte status error, if it has one. Without a
 * message, 503 and 500 use Ollama's own texts (queue full, runner crash).
 */
export function throwStatusFault(fault: FaultSpec | undefined, stream: boolean): void {
  if (fault?.status === undefined) return;
  const message = fault.message ?? defaultFaultMessage(fault.status);
  throw new HttpError(fault.status, message, stream ? STREAM_ERROR_CONTENT_TYPE : JSON_CONTENT_TYPE);
}

function defaultFaultMessage(status: number): string {
  if (status === 503) return new QueueFullError().message;
  if (status === 500) return RUNNER_CRASH_MESSAGE;
  return (STATUS_CODES[status] ?? `status ${status}`).toLowerCase();
}

/** `options` as Ollama checks them in `scheduleRunner`: a wrong type is a 500. */
export function modelOptions(raw: unknown): ModelOptions {
  const result = readModelOptions(raw as Record<string, unknown> | undefined);
  if (!result.ok) throw new HttpError(500, result.message);
  return result.value;
}

/** A bound `keep_alive` in ms, or `undefined` when not sent. Binding already rejected bad values. */
export function keepAliveMs(raw: unknown): number | undefined {
  const parsed = parseKeepAlive(raw);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * Gets a runner for the model (loading it if needed) and returns the lease
 * plus the instant it was acquired (the end of `load_duration`). A full
 * queue becomes a 503.
 */
export async function scheduleRunner(
  ctx: RouteContext,
  model: ResolvedModel,
  keepAlive: number | undefined,
  options: ModelOptions,
): Promise<{ lease: Lease; loadedNs: bigint }> {
  const { core, tracker, signal } = ctx;
  try {
    const lease = await core.residency.acquire({
      key: model.key,
      entry: model.entry,
      loadMs: model.entry.loadMs ?? core.options.defaultLoadMs,
      keepAliveMs: keepAlive ?? core.options.defaultKeepAliveMs,
      numCtx: numCtxFor(model.entry, options),
      signal,
      onQueued: () => tracker.setQueued(true, "load"),
    });
    return { lease, loadedNs: process.hrtime.bigint() };
  } catch (error) {
    if (error instanceof QueueFullError) throw new HttpError(503, error.message);
    throw error;
  } finally {
    tracker.setQueued(false);
  }
}

/** The context size a runner is loaded with: the request's, else 4096, capped by the model. */
export function numCtxFor(entry: CatalogueEntry, options: ModelOptions): number {
  return Math.max(4, Math.min(options.numCtx ?? 4096, entry.contextLength));
}

/** Waits (FIFO, unbounded) for one of the model's NUM_PARALLEL slots. */
export async function takeSlot(ctx: RouteContext, key: string): Promise<ReleaseSlot> {
  const semaphore = ctx.core.slots.forModel(key);
  const now = semaphore.tryAcquire();
  if (now !== undefined) return now;
  ctx.tracker.setQueued(true, "slot");
  try {
    return await semaphore.acquire(ctx.signal);
  } finally {
    ctx.tracker.setQueued(false);
  }
}

/** `format` as the runner checks it: unset, "json", or a schema object; anything else is a 500. */
export function resolveFormat(raw: unknown, stream: boolean): "json" | Readonly<Record<string, unknown>> | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (raw === "json") return "json";
  if (typeof raw === "object" && !Array.isArray(raw)) return raw as Record<string, unknown>;
  const message = `invalid format: ${goQuote(JSON.stringify(raw))}; expected "json" or a valid JSON Schema object`;
  throw new HttpError(500, message, stream ? STREAM_ERROR_CONTENT_TYPE : JSON_CONTENT_TYPE);
}

/** Timestamps (hrtime ns) that final metrics are computed from. */
export interface Timing {
  readonly startNs: bigint;
  readonly loadedNs: bigint;
  /** When the slot was taken and prompt evaluation began. */
  readonly evalStartNs: bigint;
}

/**
 * The final chunk's metrics, in nanoseconds, with zero values omitted
 * (every metric field is `omitempty` in Ollama).
 */
export function finalMetrics(
  timing: Timing,
  firstTokenNs: bigint | undefined,
  promptTokens: number,
  evalCount: number,
): Record<string, number> {
  const now = process.hrtime.bigint();
  const firstNs = firstTokenNs ?? now;
  const fields: Array<[string, number]> = [
    ["total_duration", Number(now - timing.startNs)],
    ["load_duration", Number(timing.loadedNs - timing.startNs)],
    ["prompt_eval_count", promptTokens],
    ["prompt_eval_duration", Number(firstNs - timing.evalStartNs)],
    ["eval_count", evalCount],
    ["eval_duration", evalCount > 0 ? Number(now - firstNs) : 0],
  ];
  return Object.fromEntries(fields.filter(([, value]) => value > 0));
}
