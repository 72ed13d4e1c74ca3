/**
 * Chat-only request fields -> proto: messages, their tool calls, and tool
 * definitions. The inverse of src/service/request-mapping.ts for these.
 *
 * Roles: Ollama lower-cases the role and accepts any string, handing it to
 * the model's template; the stock templates render only system, user,
 * assistant and tool, so a message with any other role (or none) adds nothing
 * to the prompt. The proto cannot carry such a role, so those messages are
 * dropped, which yields the prompt Ollama would render with a stock template.
 */
import { Role, type Message, type Tool, type ToolCall } from "../../../gen/ollama/v1/ollama.js";
import { ParseStop } from "./parsed.js";
import { objectField, text, toImages } from "./request-fields.js";

const ROLES: ReadonlyMap<string, Role> = new Map([
  ["system", Role.ROLE_SYSTEM],
  ["user", Role.ROLE_USER],
  ["assistant", Role.ROLE_ASSISTANT],
  ["tool", Role.ROLE_TOOL],
]);

/** Bound `messages` (roles already lower-cased by binding) -> Message[]; unknown roles are dropped (see above). */
export function toMessages(raw: unknown): Message[] {
  if (!Array.isArray(raw)) return [];
  const messages: Message[] = [];
  for (const item of raw as Array<Record<string, unknown>>) {
    const role = ROLES.get(text(item.role));
    if (role === undefined) continue;
    messages.push({
      role,
      content: text(item.content),
      images: toImages(item.images),
      thinking: text(item.thinking),
      toolCalls: toToolCalls(item.tool_calls),
      toolName: text(item.tool_name),
      toolCallId: text(item.tool_call_id),
    });
  }
  return messages;
}

/**
 * A message's `tool_calls` (bound as any JSON) -> ToolCall[], type-checked
 * like Go's decoder into `[]api.ToolCall` inside Message's own unmarshaler,
 * whose errors abort binding (HTTP 400).
 */
function toToolCalls(raw: unknown): ToolCall[] {
  if (raw === undefined || raw === null) return [];
  const path = "tool_calls";
  if (!Array.isArray(raw)) throw typeError(raw, "Alias", path, "[]api.ToolCall");
  return raw.map((call) => {
    if (call === null) return { id: "", function: { index: 0, name: "", arguments: {} } };
    if (!isObject(call)) throw typeError(call, "Alias", path, "api.ToolCall");
    const id = field(call, "id", "ToolCall", path, "string", "string");
    const fn = call.function ?? null;
    if (fn !== null && !isObject(fn)) throw typeError(fn, "ToolCall", `${path}.function`, "api.ToolCallFunction");
    const inner = fn ?? {};
    const fnPath = `${path}.function`;
    const args = inner.arguments ?? null;
    if (args !== null && !isObject(args)) throw typeError(args, "ToolCallFunction", `${fnPath}.arguments`, "api.ToolCallFunctionArguments");
    return {
      id: (id as string | undefined) ?? "",
      function: {
        index: (field(inner, "index", "ToolCallFunction", fnPath, "int", "int") as number | undefined) ?? 0,
        name: (field(inner, "name", "ToolCallFunction", fnPath, "string", "string") as string | undefined) ?? "",
        arguments: (args as Record<string, unknown> | null) ?? {},
      },
    };
  });
}

/**
 * `tools` (bound: an array of objects or nulls) -> Tool[]. The Tool's `type`
 * is not kept: Ollama only has function tools, and the gateway always sends
 * "function".
 */
export function toTools(raw: unknown): Tool[] {
  if (!Array.isArray(raw)) return [];
  const path = "tools";
  return raw.map((tool) => {
    const fn = objectField(tool)?.function ?? null;
    if (fn !== null && !isObject(fn)) throw typeError(fn, "Tool", `${path}.function`, "api.ToolFunction");
    const inner = fn ?? {};
    const fnPath = `${path}.function`;
    const parameters = inner.parameters ?? null;
    if (parameters !== null && !isObject(parameters)) {
      throw typeError(parameters, "ToolFunction", `${fnPath}.parameters`, "api.ToolFunctionParameters");
    }
    return {
      function: {
        name: (field(inner, "name", "ToolFunction", fnPath, "string", "string") as string | undefined) ?? "",
        description: (field(inner, "description", "ToolFunction", fnPath, "string", "string") as string | undefined) ?? "",
        parameters: (parameters as Record<string, unknown> | null) ?? undefined,
      },
    };
  });
}

/** Reads `object[key]` checked against a Go string or int; undefined when absent or null. */
function field(object: Record<string, unknown>, key: string, struct: string, path: string, kind: "string" | "int", goType: string): unknown {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  const fits = kind === "string" ? typeof value === "string" : typeof value === "number" && Number.isInteger(value);
  if (!fits) throw typeError(value, struct, `${path}.${key}`, goType);
  return value;
}

/** Go's UnmarshalTypeError text: innermost struct name, then the field path from the message. */
function typeError(value: unknown, struct: string, path: string, goType: string): ParseStop {
  return new ParseStop(400, `json: cannot unmarshal ${jsonKind(value, goType === "int")} into Go struct field ${struct}.${path} of type ${goType}`);
}

function jsonKind(value: unknown, intTarget: boolean): string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return intTarget && !Number.isInteger(value) ? `number ${String(value)}` : "number";
  if (Array.isArray(value)) return "array";
  return "object";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
