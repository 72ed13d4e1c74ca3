/**
 * Request validation before any upstream call. Every problem found is
 * reported at once, as a BadRequest field violation whose `field` is the
 * proto field path (`messages[2].role`, `options.top_p`), so a caller can fix
 * everything in one round trip.
 */
import {
  Role,
  ThinkLevel,
  type ChatRequest,
  type Format,
  type GenerateRequest,
  type Message,
  type ModelOptions,
  type Think,
  type Tool,
} from "../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../gen/google/protobuf/duration.js";
import { OPTION_SPECS, TYPED_OPTION_KEYS } from "./options-mapping.js";

/** One invalid field. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** Limits that depend on configuration. */
export interface RequestLimits {
  /** Largest accepted image, in bytes. */
  maxImageBytes: number;
  /** Most images accepted in one request (all messages together). */
  maxImages: number;
}

const MAX_MODEL_NAME = 512;
const MAX_TOP_LOGPROBS = 20;
const MAX_DURATION_SECONDS = 315_576_000_000; // google.protobuf.Duration's documented range

/** Validates a GenerateRequest; returns the violations (empty when valid). */
export function validateGenerateRequest(request: GenerateRequest, limits: RequestLimits): FieldViolation[] {
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  checkImages(request.images, "images", limits, violations, { count: 0 });
  if (request.raw && (request.template !== "" || request.system !== "" || request.context.length > 0)) {
    violations.push({ field: "raw", description: "raw mode cannot be combined with template, system or context" });
  }
  checkCommon(request, violations);
  return violations;
}

/** Validates a ChatRequest; returns the violations (empty when valid). */
export function validateChatRequest(request: ChatRequest, limits: RequestLimits): FieldViolation[] {
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  const images = { count: 0 };
  request.messages.forEach((message, i) => checkMessage(message, `messages[${i}]`, limits, violations, images));
  checkTools(request.tools, violations);
  checkCommon(request, violations);
  return violations;
}

export function checkModel(model: string, violations: FieldViolation[]): void {
  if (model.trim() === "") {
    violations.push({ field: "model", description: "required: name the model, e.g. \"llama3.2\"" });
  } else if (model.length > MAX_MODEL_NAME || /[\s\u0000-\u001f]/.test(model)) {
    violations.push({ field: "model", description: "not a model name (no whitespace or control characters, at most 512 characters)" });
  }
}

function checkMessage(message: Message, path: string, limits: RequestLimits, violations: FieldViolation[], images: { count: number }): void {
  if (message.role === Role.ROLE_UNSPECIFIED) {
    violations.push({ field: `${path}.role`, description: "required: one of ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_TOOL" });
  } else if (!(message.role in Role) || message.role === Role.UNRECOGNIZED) {
    violations.push({ field: `${path}.role`, description: `unknown role ${message.role}` });
  }
  checkImages(message.images, `${path}.images`, limits, violations, images);
  message.toolCalls.forEach((call, j) => {
    if (!call.function?.name) violations.push({ field: `${path}.tool_calls[${j}].function.name`, description: "required" });
  });
}

function checkImages(list: Uint8Array[], path: string, limits: RequestLimits, violations: FieldViolation[], images: { count: number }): void {
  list.forEach((image, i) => {
    images.count += 1;
    if (image.length === 0) {
      violations.push({ field: `${path}[${i}]`, description: "empty image" });
    } else if (image.length > limits.maxImageBytes) {
      violations.push({ field: `${path}[${i}]`, description: `image is ${image.length} bytes; the limit is ${limits.maxImageBytes}` });
    }
  });
  if (list.length > 0 && images.count > limits.maxImages) {
    violations.push({ field: path, description: `${images.count} images; at most ${limits.maxImages} per request` });
  }
}

function checkTools(tools: Tool[], violations: FieldViolation[]): void {
  const seen = new Set<string>();
  tools.forEach((tool, i) => {
    const name = tool.function?.name ?? "";
    if (tool.function === undefined) {
      violations.push({ field: `tools[${i}].function`, description: "required" });
    } else if (name === "") {
      violations.push({ field: `tools[${i}].function.name`, description: "required" });
    } else if (seen.has(name)) {
      violations.push({ field: `tools[${i}].function.name`, description: `duplicate tool name "${name}"` });
    }
    seen.add(name);
  });
}

function checkCommon(request: GenerateRequest | ChatRequest, violations: FieldViolation[]): void {
  checkFormat(request.format, violations);
  checkOptions(request.options, violations);
  if (request.keepAlive !== undefined) checkDuration(request.keepAlive, "keep_alive", violations);
  checkThink(request.think, violations);
  if (request.topLogprobs < 0 || request.topLogprobs > MAX_TOP_LOGPROBS) {
    violations.push({ field: "top_logprobs", description: `must be between 0 and ${MAX_TOP_LOGPROBS}` });
  }
}

function checkFormat(format: Format | undefined, violations: FieldViolation[]): void {
  if (format === undefined) return;
  if (format.kind === undefined) {
    violations.push({ field: "format", description: "set either name (\"json\") or json_schema" });
  } else if (format.kind.$case === "name" && format.kind.value !== "json") {
    violations.push({ field: "format.name", description: `unknown format "${format.kind.value}"; the only named format is "json"` });
  }
}

function checkThink(think: Think | undefined, violations: FieldViolation[]): void {
  if (think === undefined) return;
  if (think.value === undefined) {
    violations.push({ field: "think", description: "set either enabled or level" });
  } else if (think.value.$case === "level") {
    const level = think.value.value;
    if (level === ThinkLevel.THINK_LEVEL_UNSPECIFIED || !(level in ThinkLevel) || level === ThinkLevel.UNRECOGNIZED) {
      violations.push({ field: "think.level", description: "must be THINK_LEVEL_LOW, _MEDIUM, _HIGH or _MAX" });
    }
  }
}

export function checkDuration(duration: Duration, field: string, violations: FieldViolation[]): void {
  const { seconds, nanos } = duration;
  const valid =
    Math.abs(seconds) <= MAX_DURATION_SECONDS &&
    Math.abs(nanos) < 1e9 &&
    !(seconds > 0 && nanos < 0) &&
    !(seconds < 0 && nanos > 0);
  if (!valid) violations.push({ field, description: "not a valid google.protobuf.Duration" });
}

/** Checks every typed option against its kind and range, and `extra` for duplicates. */
export function checkOptions(options: ModelOptions | undefined, violations: FieldViolation[]): void {
  if (options === undefined) return;
  for (const spec of OPTION_SPECS) {
    const value = options[spec.field];
    if (value === undefined) continue;
    const field = `options.${spec.key}`;
    if (spec.kind === "strings") {
      (value as string[]).forEach((stop, i) => {
        if (stop === "") violations.push({ field: `${field}[${i}]`, description: "must not be empty" });
      });
      continue;
    }
    if (typeof value !== "number") continue;
    if (!Number.isFinite(value)) {
      violations.push({ field, description: "must be a finite number" });
    } else if (spec.min !== undefined && value < spec.min) {
      violations.push({ field, description: rangeText(spec.min, spec.max) });
    } else if (spec.max !== undefined && value > spec.max) {
      violations.push({ field, description: rangeText(spec.min, spec.max) });
    }
  }
  for (const key of Object.keys(options.extra ?? {})) {
    if (TYPED_OPTION_KEYS.has(key)) {
      violations.push({ field: `options.extra.${key}`, description: `duplicates the typed field options.${key}; set only one` });
    }
  }
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `must be between ${min} and ${max}`;
  return min !== undefined ? `must be >= ${min}` : `must be <= ${max}`;
}
