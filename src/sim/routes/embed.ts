/**
 * POST /api/embed (current) and POST /api/embeddings (legacy).
 *
 * Like Ollama, any installed model can embed (no capability check). /api/embed
 * returns L2-normalized float32 vectors with metrics; the legacy route returns
 * one raw float64 vector and nothing else. An empty input only loads the model.
 * Faults: `status` as usual; any `*After` count applies to the single reply
 * (error → 500, drop, stall, malformed body).
 */
import { RUNNER_CRASH_MESSAGE } from "../faults.js";
import {
  bindBody,
  keepAliveMs,
  lookupModel,
  modelOptions,
  requestSettings,
  scheduleRunner,
  takeSlot,
  text,
  throwStatusFault,
} from "../inference.js";
import type { RequestSettings, ResolvedModel } from "../inference.js";
import { parseModelName } from "../model-name.js";
import { EMBED_REQUEST, EMBEDDING_REQUEST } from "../../ollama/request-specs.js";
import { HttpError } from "../route-context.js";
import type { RouteContext } from "../route-context.js";
import { sleep, untilAborted } from "../sleep.js";
import { countPromptTokens } from "../token-stream.js";
import { float32Shortest, normalizeEmbedding, rawEmbedding } from "../vectors.js";
import { JSON_CONTENT_TYPE, writeJson } from "../wire.js";

/** Handles POST /api/embed. */
export async function handleEmbed(ctx: RouteContext): Promise<void> {
  const req = bindBody(ctx, EMBED_REQUEST);
  const name = text(req.model);
  if (parseModelName(name) === undefined) {
    throw name === "" ? new HttpError(404, "model '' not found") : new HttpError(400, "invalid model name");
  }
  const inputs = embedInputs(req.input);
  const model = resolveForEmbedding(ctx, name);
  const options = modelOptions(req.options);
  const settings = requestSettings(ctx, model.key);
  throwStatusFault(settings.fault, false);
  const { lease, loadedNs } = await scheduleRunner(ctx, model, keepAliveMs(req.keep_alive), options);
  try {
    if (inputs.length === 0) {
      writeJson(ctx.res, 200, { model: name, embeddings: [] });
      return;
    }
    const dimensions = typeof req.dimensions === "number" ? req.dimensions : 0;
    const embeddings = await compute(ctx, model, settings, () =>
      inputs.map((input) =>
        normalizeEmbedding(rawEmbedding(ctx.core.options.seed, model.entry.name, input, model.entry.embeddingLength), dimensions).map(
          float32Shortest,
        ),
      ),
    );
    if (embeddings === undefined) return;
    const now = process.hrtime.bigint();
    const body: Record<string, unknown> = {
      model: name,
      embeddings,
      total_duration: Number(now - ctx.startNs),
      load_duration: Number(loadedNs - ctx.startNs),
      prompt_eval_count: inputs.reduce((sum, input) => sum + countPromptTokens(input) - 8, 0) || undefined,
    };
    writeJson(ctx.res, 200, body);
  } finally {
    lease.release();
  }
}

/** Handles POST /api/embeddings (legacy). */
export async function handleEmbeddings(ctx: RouteContext): Promise<void> {
  const req = bindBody(ctx, EMBEDDING_REQUEST);
  const name = text(req.model);
  if (parseModelName(name) === undefined) {
    throw new HttpError(400, name === "" ? "model is required" : "invalid model name");
  }
  const model = resolveForEmbedding(ctx, name);
  const options = modelOptions(req.options);
  const settings = requestSettings(ctx, model.key);
  throwStatusFault(settings.fault, false);
  const { lease } = await scheduleRunner(ctx, model, keepAliveMs(req.keep_alive), options);
  try {
    const prompt = text(req.prompt);
    if (prompt === "") {
      writeJson(ctx.res, 200, { embedding: [] });
      return;
    }
    const embedding = await compute(ctx, model, settings, () =>
      rawEmbedding(ctx.core.options.seed, model.entry.name, prompt, model.entry.embeddingLength),
    );
    if (embedding !== undefined) writeJson(ctx.res, 200, { embedding });
  } finally {
    lease.release();
  }
}

/** Embedding routes report a missing model through `handleScheduleError`: double quotes and a hint. */
function resolveForEmbedding(ctx: RouteContext, name: string): ResolvedModel {
  const model = lookupModel(ctx, name);
  if (model === undefined) throw new HttpError(404, `model "${name}" not found, try pulling it first`);
  return model;
}

function embedInputs(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return input === "" ? [] : [input];
  if (Array.isArray(input) && input.every((item): item is string => typeof item === "string")) return input;
  throw new HttpError(400, "invalid input type");
}

/**
 * Takes a slot, spends `firstTokenMs` computing, then returns the result, or
 * `undefined` after a fault has answered (or dropped) the request itself.
 */
async function compute<T>(ctx: RouteContext, model: ResolvedModel, settings: RequestSettings, build: () => T): Promise<T | undefined> {
  const releaseSlot = await takeSlot(ctx, model.key);
  try {
    if (settings.firstTokenMs > 0) await sleep(settings.firstTokenMs, ctx.signal);
    const fault = settings.fault;
    if (fault?.stallAfterTokens !== undefined) await untilAborted(ctx.signal);
    if (fault?.dropAfterTokens !== undefined) {
      ctx.tracker.markFailed();
      ctx.res.socket?.destroy();
      return undefined;
    }
    if (fault?.malformedAfterTokens !== undefined) {
      ctx.tracker.markFailed();
      ctx.res.writeHead(200, { "Content-Type": JSON_CONTENT_TYPE });
      ctx.res.end('{"model":"');
      return undefined;
    }
    if (fault?.errorAfterTokens !== undefined) throw new HttpError(500, fault.message ?? RUNNER_CRASH_MESSAGE);
    return build();
  } finally {
    releaseSlot();
  }
}
