/**
 * Binds a request body onto an Ollama request "struct" the way Go's
 * `encoding/json` does, so malformed requests get Ollama's exact 400 texts.
 *
 * Rules reproduced: keys match case-insensitively (exact match preferred);
 * unknown keys and JSON null are ignored; a wrong JSON type records
 * `json: cannot unmarshal <kind> into Go struct field <Struct>.<field> of type <type>`
 * and decoding continues (the first such error wins); custom unmarshalers
 * (`keep_alive`, `think`, chat messages) abort at once with their own text.
 */
import { decodeGoJson } from "./go-json.js";
import { goBase64Error } from "./go-base64.js";
import { goQuote, parseKeepAlive } from "./keep-alive.js";

/** How one field decodes. */
export type FieldKind =
  | "string"
  | "bool"
  | "int"
  | "ints"
  | "strings"
  | "images"
  | "map"
  | "any"
  | "keepAlive"
  | "think"
  | "messages"
  | "tools";

/** A Go request struct: its name (for error texts) and JSON fields. */
export interface StructSpec {
  readonly goName: string;
  readonly fields: Readonly<Record<string, FieldKind>>;
}

/** A bound request: canonical field names only, each value already type-checked. */
export type BoundRequest = Readonly<Record<string, unknown>>;

export type BindResult = { ok: true; value: BoundRequest } | { ok: false; message: string };

const GO_TYPE: Readonly<Record<FieldKind, string>> = {
  string: "string",
  bool: "bool",
  int: "int",
  ints: "[]int",
  strings: "[]string",
  images: "[]api.ImageData",
  map: "map[string]interface {}",
  any: "interface {}",
  keepAlive: "api.Duration",
  think: "api.ThinkValue",
  messages: "[]api.Message",
  tools: "api.Tools",
};

const MESSAGE_SPEC: StructSpec = {
  // Message has its own UnmarshalJSON that decodes through a local `Alias` type.
  goName: "Alias",
  fields: {
    role: "string",
    content: "string",
    thinking: "string",
    images: "images",
    tool_calls: "any",
    tool_name: "string",
    tool_call_id: "string",
  },
};

const THINK_LEVELS = ["high", "medium", "low", "max"];
const THINK_CHOICES = '"high", "medium", "low", "max", true, or false';

class HardError extends Error {}

/** Decodes `body` and binds it onto `spec`. An empty body gives "missing request body". */
export function bindRequest(body: string, spec: StructSpec): BindResult {
  const decoded = decodeGoJson(body);
  if (decoded.kind === "eof") return { ok: false, message: "missing request body" };
  if (decoded.kind === "error") return { ok: false, message: decoded.message };
  if (decoded.value === null) return { ok: true, value: {} };
  if (!isObject(decoded.value)) {
    return { ok: false, message: `json: cannot unmarshal ${jsonKind(decoded.value)} into Go value of type api.${spec.goName}` };
  }
  try {
    const errors: string[] = [];
    const value = bindStruct(decoded.value, spec, spec.goName, errors);
    return errors[0] === undefined ? { ok: true, value } : { ok: false, message: errors[0] };
  } catch (error) {
    if (error instanceof HardError) return { ok: false, message: error.message };
    throw error;
  }
}

function bindStruct(input: Record<string, unknown>, spec: StructSpec, path: string, errors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(spec.fields);
  for (const [key, raw] of Object.entries(input)) {
    const name = names.includes(key) ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined || raw === null) continue;
    const kind = spec.fields[name];
    if (kind === undefined) continue;
    const bound = bindField(raw, kind, `${path}.${name}`, errors);
    if (bound !== undefined) out[name] = bound;
  }
  return out;
}

/** Returns the bound value, or undefined when the field stays at its zero value. */
function bindField(raw: unknown, kind: FieldKind, path: string, errors: string[]): unknown {
  const mismatch = (value: unknown, type = GO_TYPE[kind]): undefined => {
    errors.push(`json: cannot unmarshal ${jsonKind(value, type === "int")} into Go struct field ${path} of type ${type}`);
    return undefined;
  };
  switch (kind) {
    case "string":
      return typeof raw === "string" ? raw : mismatch(raw);
    case "bool":
      return typeof raw === "boolean" ? raw : mismatch(raw);
    case "int":
      return isInt(raw) ? raw : mismatch(raw);
    case "map":
      return isObject(raw) ? raw : mismatch(raw);
    case "any":
      return raw;
    case "ints":
      if (!Array.isArray(raw)) return mismatch(raw);
      return raw.every((v) => v === null || isInt(v) || mismatch(v, "int") !== undefined) ? raw : undefined;
    case "strings":
      if (!Array.isArray(raw)) return mismatch(raw);
      return raw.every((v) => v === null || typeof v === "string" || mismatch(v, "string") !== undefined) ? raw : undefined;
    case "images":
      return bindImages(raw, errors, mismatch);
    case "keepAlive": {
      const parsed = parseKeepAlive(raw);
      if (!parsed.ok) throw new HardError(parsed.message);
      return raw;
    }
    case "think":
      return bindThink(raw);
    case "messages":
      return bindMessages(raw, mismatch);
    case "tools":
      if (!Array.isArray(raw)) return mismatch(raw);
      return raw.every((v) => v === null || isObject(v) || mismatch(v, "api.Tool") !== undefined) ? raw : undefined;
  }
}

function bindImages(raw: unknown, errors: string[], mismatch: (v: unknown, t?: string) => undefined): unknown {
  if (!Array.isArray(raw)) return mismatch(raw);
  for (const item of raw) {
    if (item === null) continue;
    if (typeof item !== "string") return mismatch(item, "api.ImageData");
    const bad = goBase64Error(item);
    if (bad !== undefined) {
      errors.push(bad);
      return undefined;
    }
  }
  return raw;
}

function bindThink(raw: unknown): unknown {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string") {
    if (THINK_LEVELS.includes(raw)) return raw;
    throw new HardError(`invalid think value: ${goQuote(raw)} (must be ${THINK_CHOICES})`);
  }
  throw new HardError(`think must be a boolean or string (${THINK_CHOICES})`);
}

function bindMessages(raw: unknown, mismatch: (v: unknown, t?: string) => undefined): unknown {
  if (!Array.isArray(raw)) return mismatch(raw);
  const out: Record<string, unknown>[] = [];
  for (const item of raw) {
    if (item === null) {
      out.push({ role: "", content: "" });
      continue;
    }
    if (!isObject(item)) return mismatch(item, "api.Message");
    // Errors inside a message come from its custom unmarshaler, so they abort decoding.
    const inner: string[] = [];
    const message = bindStruct(item, MESSAGE_SPEC, MESSAGE_SPEC.goName, inner);
    if (inner[0] !== undefined) throw new HardError(inner[0]);
    const role = typeof message.role === "string" ? message.role.toLowerCase() : "";
    out.push({ ...message, role, content: typeof message.content === "string" ? message.content : "" });
  }
  return out;
}

/** Go's name for the JSON kind in an UnmarshalTypeError (`number 1.5` for a non-integer into an int). */
function jsonKind(value: unknown, intTarget = false): string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return intTarget && !Number.isInteger(value) ? `number ${String(value)}` : "number";
  if (Array.isArray(value)) return "array";
  return "object";
}

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
