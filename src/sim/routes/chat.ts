/**
 * POST /api/chat, following the order of checks in Ollama's `ChatHandler`:
 * bind, top_logprobs, model name, lookup, unload shortcut, thinking,
 * capabilities (completion, tools), options, schedule (503 / load), load
 * shortcut, format, slot, then the answer.
 *
 * A tools-capable model given `tools` whose last message is from the user
 * answers with one tool call (in a non-final chunk, as Ollama streams it);
 * after a `tool` message it answers in text.
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
import { CHAT_REQUEST } from "../../ollama/request-specs.js";
import { HttpError } from "../route-context.js";
import type { RouteContext } from "../route-context.js";
import { countPromptTokens, planAnswer } from "../token-stream.js";
import { createdAtNow, writeJson } from "../wire.js";

/** Handles POST /api/chat. */
export async function handleChat(ctx: RouteContext): Promise<void> {
  const req = bindBody(ctx, CHAT_REQUEST);
  const stream = req.stream !== false;
  const topLogprobs = typeof req.top_logprobs === "number" ? req.top_logprobs : 0;
  if (topLogprobs < 0 || topLogprobs > 20) throw new HttpError(400, "top_logprobs must be between 0 and 20");
  const name = text(req.model);
  if (parseModelName(name) === undefined) {
    throw new HttpError(400, name === "" ? "model is required" : "invalid model name");
  }
  const model = lookupModel(ctx, name);
  if (model === undefined) throw new HttpError(404, `model '${name}' not found`);
  const keepAlive = keepAliveMs(req.keep_alive);
  const messages = list(req.messages) as Array<Record<string, unknown>>;
  if (messages.length === 0 && keepAlive === 0) {
    ctx.core.residency.expire(model.key);
    writeJson(ctx.res, 200, shortcut(name, "unload"));
    return;
  }
  const think = resolveThink(model.entry, req.think, name);
  if (!hasCapability(model.entry, "completion")) throw new HttpError(400, `"${name}" does not support chat`);
  const tools = list(req.tools);
  if (tools.length > 0 && !hasCapability(model.entry, "tools")) {
    throw new HttpError(400, `${model.entry.fullName} does not support tools`);
  }
  const options = modelOptions(req.options);
  const settings = requestSettings(ctx, model.key);
  throwStatusFault(settings.fault, stream);

  const { lease, loadedNs } = await scheduleRunner(ctx, model, keepAlive, options);
  try {
    if (messages.length === 0) {
      writeJson(ctx.res, 200, shortcut(name, "load"));
      return;
    }
    const format = resolveFormat(req.format, stream);
    const releaseSlot = await takeSlot(ctx, model.key);
    try {
      const input = JSON.stringify(messages.map((m) => [m.role, m.content, list(m.images).length, m.tool_name ?? null]));
      const lastRole = messages.at(-1)?.role;
      const plan = planAnswer({
        seed: ctx.core.options.seed,
        model: model.entry.name,
        input,
        optionSeed: options.seed,
        tokens: settings.tokens,
        numPredict: options.numPredict,
        think,
        format,
        tools: tools.length > 0 && lastRole === "user" ? tools : undefined,
        stop: options.stop,
        topLogprobs: req.logprobs === true ? topLogprobs : undefined,
      });
      const promptTokens = countPromptTokens(messages.map((m) => text(m.content)).join("\n")) + 4 * messages.length;
      const timing = { startNs: ctx.startNs, loadedNs, evalStartNs: process.hrtime.bigint() };
      const source = new AnswerSource(plan, chatShape(name), timing, promptTokens);
      await playChunks({ ...settings, res: ctx.res, signal: ctx.signal, tracker: ctx.tracker, stream }, source);
    } finally {
      releaseSlot();
    }
  } finally {
    lease.release();
  }
}

/** The load/unload reply: an empty assistant message, done, no metrics. */
function shortcut(model: string, reason: "load" | "unload"): Record<string, unknown> {
  return { model, created_at: createdAtNow(), message: { role: "assistant", content: "" }, done_reason: reason, done: true };
}

/** ChatResponse layout: `message.content` always present; thinking and tool_calls only when non-empty; no `context`. */
function chatShape(model: string): ChunkShape {
  return {
    chunk(piece, createdAt) {
      const message: Record<string, unknown> = { role: "assistant", content: piece.kind === "content" ? piece.text : "" };
      if (piece.kind === "thinking") message.thinking = piece.text;
      if (piece.kind === "tool_call") message.tool_calls = [piece.call];
      const out: Record<string, unknown> = { model, created_at: createdAt, message, done: false };
      if (piece.kind === "content" && piece.logprobs !== undefined) out.logprobs = piece.logprobs;
      return out;
    },
    end(summary) {
      const message: Record<string, unknown> = { role: "assistant", content: summary.content };
      if (summary.thinking !== "") message.thinking = summary.thinking;
      if (summary.toolCalls.length > 0) message.tool_calls = summary.toolCalls;
      const out: Record<string, unknown> = { model, created_at: summary.createdAt, message };
      if (summary.doneReason !== undefined) out.done_reason = summary.doneReason;
      out.done = summary.done;
      Object.assign(out, summary.metrics);
      if (summary.logprobs.length > 0) out.logprobs = summary.logprobs;
      return out;
    },
  };
}
