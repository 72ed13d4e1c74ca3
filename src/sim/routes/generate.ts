/**
 * POST /api/generate, following the order of checks in Ollama's
 * `GenerateHandler`: bind, top_logprobs, model name, lookup, unload shortcut,
 * raw misuse, thinking, capabilities, options, schedule (503 / load), load
 * shortcut, format, slot, then the answer.
 */
import { AnswerSource } from "../answer-source.js";
import type { ChunkShape } from "../answer-source.js";
import { playChunks } from "../chunk-responder.js";
import {
  bindBody,
  hasCapability,
  keepAliveMs,
  list,
  lookupModel,
  modelOptions,
  requestSettings,
  resolveFormat,
  resolveThink,
  scheduleRunner,
  takeSlot,
  text,
  throwStatusFault,
} from "../inference.js";
import { parseModelName } from "../model-name.js";
import { GENERATE_REQUEST } from "../../ollama/request-specs.js";
import { HttpError } from "../route-context.js";
import type { RouteContext } from "../route-context.js";
import { contextTokens, countPromptTokens, planAnswer } from "../token-stream.js";
import { createdAtNow, writeJson } from "../wire.js";

/** Handles POST /api/generate. */
export async function handleGenerate(ctx: RouteContext): Promise<void> {
  const req = bindBody(ctx, GENERATE_REQUEST);
  const stream = req.stream !== false;
  const topLogprobs = typeof req.top_logprobs === "number" ? req.top_logprobs : 0;
  if (topLogprobs < 0 || topLogprobs > 20) throw new HttpError(400, "top_logprobs must be between 0 and 20");
  const name = text(req.model);
  if (parseModelName(name) === undefined) {
    // Generate answers an empty model with 404, unlike chat (see the reference, section 7).
    throw name === "" ? new HttpError(404, "model '' not found") : new HttpError(400, "invalid model name");
  }
  const model = lookupModel(ctx, name);
  if (model === undefined) throw new HttpError(404, `model '${name}' not found`);
  const keepAlive = keepAliveMs(req.keep_alive);
  const prompt = text(req.prompt);
  if (prompt === "" && keepAlive === 0) {
    ctx.core.residency.expire(model.key);
    writeJson(ctx.res, 200, { model: name, created_at: createdAtNow(), response: "", done: true, done_reason: "unload" });
    return;
  }
  const raw = req.raw === true;
  if (raw && (text(req.template) !== "" || text(req.system) !== "" || list(req.context).length > 0)) {
    throw new HttpError(400, "raw mode does not support template, system, or context");
  }
  const think = resolveThink(model.entry, req.think, name);
  if (!hasCapability(model.entry, "completion")) throw new HttpError(400, `"${name}" does not support generate`);
  const suffix = text(req.suffix);
  if (suffix !== "" && !hasCapability(model.entry, "insert")) {
    throw new HttpError(400, `${model.entry.fullName} does not support insert`);
  }
  const options = modelOptions(req.options);
  const settings = requestSettings(ctx, model.key);
  throwStatusFault(settings.fault, stream);

  const { lease, loadedNs } = await scheduleRunner(ctx, model, keepAlive, options);
  try {
    if (prompt === "") {
      writeJson(ctx.res, 200, { model: name, created_at: createdAtNow(), response: "", done: true, done_reason: "load" });
      return;
    }
    const format = resolveFormat(req.format, stream);
    const releaseSlot = await takeSlot(ctx, model.key);
    try {
      const input = JSON.stringify([text(req.system), prompt, suffix, list(req.images).length]);
      const plan = planAnswer({
        seed: ctx.core.options.seed,
        model: model.entry.name,
        input,
        optionSeed: options.seed,
        tokens: settings.tokens,
        numPredict: options.numPredict,
        think,
        format,
        stop: options.stop,
        topLogprobs: req.logprobs === true ? topLogprobs : undefined,
      });
      const promptTokens = countPromptTokens(`${text(req.system)}${prompt}${suffix}`);
      const timing = { startNs: ctx.startNs, loadedNs, evalStartNs: process.hrtime.bigint() };
      const source = new AnswerSource(plan, generateShape(name, raw, prompt, promptTokens), timing, promptTokens);
      await playChunks({ ...settings, res: ctx.res, signal: ctx.signal, tracker: ctx.tracker, stream }, source);
    } finally {
      releaseSlot();
    }
  } finally {
    lease.release();
  }
}

/** GenerateResponse layout: `response` always present, `thinking` only when non-empty, `context` on non-raw finals. */
function generateShape(model: string, raw: boolean, prompt: string, promptTokens: number): ChunkShape {
  return {
    chunk(piece, createdAt) {
      const out: Record<string, unknown> = { model, created_at: createdAt, response: piece.kind === "content" ? piece.text : "" };
      if (piece.kind === "thinking") out.thinking = piece.text;
      out.done = false;
      if (piece.kind === "content" && piece.logprobs !== undefined) out.logprobs = piece.logprobs;
      return out;
    },
    end(summary) {
      const out: Record<string, unknown> = { model, created_at: summary.createdAt, response: summary.content };
      if (summary.thinking !== "") out.thinking = summary.thinking;
      out.done = summary.done;
      if (summary.doneReason !== undefined) out.done_reason = summary.doneReason;
      if (summary.done && !raw) {
        const answer = summary.answer;
        out.context = contextTokens(prompt + answer, promptTokens + Math.ceil(answer.length / 4));
      }
      Object.assign(out, summary.metrics);
      if (summary.logprobs.length > 0) out.logprobs = summary.logprobs;
      return out;
    },
  };
}
