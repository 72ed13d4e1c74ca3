/**
 * A JSON reader that fails the way Ollama's request binding fails.
 *
 * gin's `ShouldBindJSON` runs Go's `json.Decoder.Decode`, so the simulator and
 * the gateway's Ollama front door reproduce three behaviours that `JSON.parse`
 * does not: an empty body is `io.EOF` (which Ollama turns into "missing
 * request body"), a truncated body is "unexpected EOF", and only the first
 * JSON value is read (trailing bytes are ignored). Syntax errors use Go's
 * scanner wording, e.g. `invalid character 'x' looking for beginning of value`.
 *
 * {@link encodeGoJson} is the other direction: JSON text byte-identical to
 * what Go's `json.Marshal` writes for the same value and key order.
 */

/** Outcome of {@link decodeGoJson}. */
export type GoJsonResult = { kind: "eof" } | { kind: "error"; message: string } | { kind: "ok"; value: unknown };

class SyntaxFailure extends Error {}

/** Characters `json.Marshal` escapes that `JSON.stringify` writes as they are. */
const GO_ESCAPES: Readonly<Record<string, string>> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

const NEEDS_GO_ESCAPE = /[<>&\u2028\u2029]/;
const GO_ESCAPE_ALL = /[<>&\u2028\u2029]/g;

/**
 * Serializes `value` the way Go's `json.Marshal` (and so gin's `c.JSON` and
 * Ollama's stream writer) does: keys in the object's own order, no spaces,
 * and the HTML-safe escapes `\u003c`, `\u003e`, `\u0026` plus `\u2028` and
 * `\u2029`. Numbers use JavaScript's shortest form, which is Go's for
 * float64 and int; float32 values must be rounded first (float32Shortest).
 * These characters can only occur inside strings, so replacing them in the
 * serialized text never touches the JSON syntax.
 */
export function encodeGoJson(value: unknown): string {
  const text = JSON.stringify(value);
  // Most texts have none of these: testing first skips replace()'s per-call setup (~100 ns per token line).
  return NEEDS_GO_ESCAPE.test(text) ? text.replace(GO_ESCAPE_ALL, (c) => GO_ESCAPES[c] ?? c) : text;
}

/**
 * The number Go's encoder writes for a float32: the shortest decimal that
 * reads back as the same float32 (so 0.1f is written as 0.1, not 0.10000000149).
 */
export function float32Shortest(value: number): number {
  const target = Math.fround(value);
  if (target === 0 || !Number.isFinite(target)) return target;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return Number(target.toPrecision(9));
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

/** Decodes the first JSON value of `text` with Go decoder semantics. */
export function decodeGoJson(text: string): GoJsonResult {
  const reader = new Reader(text);
  reader.skipSpace();
  if (reader.atEnd()) return { kind: "eof" };
  try {
    return { kind: "ok", value: reader.value("value") };
  } catch (error) {
    if (error instanceof SyntaxFailure) return { kind: "error", message: error.message };
    throw error;
  }
}

/** Go's `quoteChar`: how the scanner names an offending character. */
export function goQuoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const quoted = JSON.stringify(c);
  const inner = quoted.slice(1, -1).replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
  return `'${inner}'`;
}

class Reader {
  #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && WHITESPACE.has(this.#text[this.#pos] ?? "")) this.#pos++;
  }

  /** Reads one value; `context` names what the scanner was looking for. */
  value(context: string): unknown {
    this.skipSpace();
    const c = this.#peek();
    if (c === "{") return this.#object();
    if (c === "[") return this.#array();
    if (c === '"') return this.#string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.#number();
    if (c === "t") return this.#literal("true", true);
    if (c === "f") return this.#literal("false", false);
    if (c === "n") return this.#literal("null", null);
    throw this.#invalid(c, `looking for beginning of ${context}`);
  }

  #object(): Record<string, unknown> {
    this.#pos++; // {
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.#peek() === "}") {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.#peek() !== '"') throw this.#invalid(this.#peek(), "looking for beginning of object key string");
      const key = this.#string();
      this.skipSpace();
      if (this.#peek() !== ":") throw this.#invalid(this.#peek(), "after object key");
      this.#pos++;
      const member = this.value("value");
      // Own property even for "__proto__", so a hostile key cannot reach the prototype.
      Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const next = this.#peek();
      if (next === ",") {
        this.#pos++;
        continue;
      }
      if (next === "}") {
        this.#pos++;
        return out;
      }
      throw this.#invalid(next, "after object key:value pair");
    }
  }

  #array(): unknown[] {
    this.#pos++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (this.#peek() === "]") {
      this.#pos++;
      return out;
    }
    for (;;) {
      out.push(this.value("value"));
      this.skipSpace();
      const next = this.#peek();
      if (next === ",") {
        this.#pos++;
        continue;
      }
      if (next === "]") {
        this.#pos++;
        return out;
      }
      throw this.#invalid(next, "after array element");
    }
  }

  #string(): string {
    const start = this.#pos;
    this.#pos++; // opening quote
    for (;;) {
      const c = this.#peek();
      if (c === '"') break;
      if (c === "\\") {
        this.#pos++;
        const e = this.#peek();
        if (e === "u") {
          for (let i = 0; i < 4; i++) {
            this.#pos++;
            if (!/^[0-9a-fA-F]$/.test(this.#peek())) throw this.#invalid(this.#peek(), "in \\u hexadecimal character escape");
          }
        } else if (!'"\\/bfnrt'.includes(e) || e === "") {
          throw this.#invalid(e, "in string escape code");
        }
      } else if (c < " ") {
        throw this.#invalid(c, "in string literal");
      }
      this.#pos++;
    }
    this.#pos++; // closing quote
    return JSON.parse(this.#text.slice(start, this.#pos)) as string;
  }

  #number(): number {
    const start = this.#pos;
    if (this.#peek() === "-") {
      this.#pos++;
      if (!isDigit(this.#peek())) throw this.#invalid(this.#peek(), "in numeric literal");
    }
    if (this.#peek() === "0") this.#pos++;
    else while (isDigit(this.#peek())) this.#pos++;
    if (this.#peek() === ".") {
      this.#pos++;
      if (!isDigit(this.#peek())) throw this.#invalid(this.#peek(), "after decimal point in numeric literal");
      while (isDigit(this.#peek())) this.#pos++;
    }
    if (this.#peek() === "e" || this.#peek() === "E") {
      this.#pos++;
      if (this.#peek() === "+" || this.#peek() === "-") this.#pos++;
      if (!isDigit(this.#peek())) throw this.#invalid(this.#peek(), "in exponent of numeric literal");
      while (isDigit(this.#peek())) this.#pos++;
    }
    return Number(this.#text.slice(start, this.#pos));
  }

  #literal(word: string, value: boolean | null): boolean | null {
    for (let i = 0; i < word.length; i++) {
      const c = this.#peek();
      if (c !== word[i]) throw this.#invalid(c, `in literal ${word} (expecting ${goQuoteChar(word[i] ?? "")})`);
      this.#pos++;
    }
    return value;
  }

  #peek(): string {
    return this.#text[this.#pos] ?? "";
  }

  /** At end of input Go's decoder reports io.ErrUnexpectedEOF rather than a character. */
  #invalid(c: string, context: string): SyntaxFailure {
    if (c === "") return new SyntaxFailure("unexpected EOF");
    return new SyntaxFailure(`invalid character ${goQuoteChar(c)} ${context}`);
  }
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
