/**
 * Typed reads of request-body fields with Ollama's error texts. Ollama binds
 * /v1 bodies into Go structs, so a wrong JSON type answers 400 with Go's
 * decoder message (`json: cannot unmarshal string into Go struct field
 * ChatCompletionRequest.temperature of type float64`); these readers produce
 * the same text. As in Go, `null` reads as absent and unknown keys are ignored.
 * @internal
 */

/** A 400 found while reading a request; the parsers turn it into an OpenAI error answer. */
export class InvalidRequestError extends Error {
  override readonly name = "InvalidRequestError";
}

/** A JSON object as JSON.parse returns it. */
export type JsonObject = { [key: string]: unknown };

const INT32_MAX = 2_147_483_647;

/** Go's name for the JSON kind of a value, as its decoder reports it. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  return "object";
}

/** Go's `%T` of a value decoded into `any` (used in Ollama's messages). */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (typeof value === "number") return "float64";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  return "map[string]interface {}";
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a request body into its top-level object. An empty body is
 * `missing request body` (what Ollama's native routes say; its /v1 routes leak
 * Go's bare "EOF"), malformed JSON gives the parser's message.
 */
export function parseBody(text: string, goType: string): JsonObject {
  if (text.trim() === "") throw new InvalidRequestError("missing request body");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(error instanceof Error ? error.message : "invalid JSON");
  }
  if (!isJsonObject(value)) {
    throw new InvalidRequestError(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`);
  }
  return value;
}

/** Reads the fields of one JSON object that belongs to a Go struct, naming errors by field path. */
export class Fields {
  readonly #object: JsonObject;
  readonly #struct: string;
  readonly #prefix: string;

  /**
   * @param object the JSON object
   * @param struct the top-level Go struct name used in messages (`ChatCompletionRequest`)
   * @param prefix the dotted path of this object inside it (`messages.tool_calls`), "" at the top
   */
  constructor(object: JsonObject, struct: string, prefix = "") {
    this.#object = object;
    this.#struct = struct;
    this.#prefix = prefix;
  }

  /** The raw value of a key; undefined when absent or null. */
  raw(key: string): unknown {
    const value = this.#object[key];
    return value === null ? undefined : value;
  }

  /** The 400 Go reports for a value of the wrong type at `key`. */
  typeError(key: string, value: unknown, goType: string): InvalidRequestError {
    const kind = typeof value === "number" && goType.startsWith("int") ? `number ${value}` : jsonKind(value);
    const field = this.#prefix === "" ? key : `${this.#prefix}.${key}`;
    return new InvalidRequestError(`json: cannot unmarshal ${kind} into Go struct field ${this.#struct}.${field} of type ${goType}`);
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === "string") return value;
    throw this.typeError(key, value, "string");
  }

  bool(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === "boolean") return value;
    throw this.typeError(key, value, "bool");
  }

  /** A number; `goType` only names it in the error (float64, float32). */
  number(key: string, goType = "float64"): number | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === "number") return value;
    throw this.typeError(key, value, goType);
  }

  /** An integer (Go int: 1.5 is rejected). */
  int(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined || (typeof value === "number" && Number.isSafeInteger(value))) return value;
    throw this.typeError(key, value, "int");
  }

  /** An integer that must fit the proto's int32 field it lands in. */
  int32(key: string): number | undefined {
    const value = this.int(key);
    if (value !== undefined && Math.abs(value) > INT32_MAX) throw this.typeError(key, value, "int32");
    return value;
  }

  /** A nested object as Fields, or undefined when absent. */
  object(key: string, goType: string): Fields | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) throw this.typeError(key, value, goType);
    return new Fields(value, this.#struct, this.#path(key));
  }

  /** A nested object as plain JSON (for JSON Schemas and other free-form values). */
  jsonObject(key: string, goType: string): JsonObject | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) throw this.typeError(key, value, goType);
    return value;
  }

  /** An array of objects, each as Fields (element type errors name the array's path, as Go does). */
  objects(key: string, goType: string): Fields[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw this.typeError(key, value, goType);
    return value.map((element) => {
      if (!isJsonObject(element)) throw this.typeError(key, element, goType.replace(/^\[\]/, ""));
      return new Fields(element, this.#struct, this.#path(key));
    });
  }

  #path(key: string): string {
    return this.#prefix === "" ? key : `${this.#prefix}.${key}`;
  }
}

/**
 * `stop` as Ollama reads it: a string is one sequence, an array must hold only
 * strings (`invalid type for 'stop' field: float64`). Ollama's chat route
 * drops non-string entries silently and ignores other types; here both routes
 * reject them, as its completions route does.
 */
export function readStop(fields: Fields): string[] | undefined {
  const value = fields.raw("stop");
  if (value === undefined) return undefined;
  if (typeof value === "string") return [value];
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry) => {
    if (typeof entry !== "string") {
      throw new InvalidRequestError(`invalid type for 'stop' field: ${goTypeName(entry)}`);
    }
    return entry;
  });
}

/** Clamps a token budget to the int32 num_predict field (a larger budget means "no limit" in practice). */
export function clampNumPredict(value: number): number {
  return Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, value));
}
