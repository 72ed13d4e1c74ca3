/**
 * Ollama `keep_alive` parsing, faithful to `api.Duration.UnmarshalJSON` and
 * Go's `time.ParseDuration`, including their exact error strings (clients and
 * the gateway surface these messages verbatim).
 */

/** Sentinel for "keep loaded forever" (Ollama stores `math.MaxInt64` ns). */
export const KEEP_FOREVER = Number.POSITIVE_INFINITY;

/** Largest Go `time.Duration`, in nanoseconds. */
const MAX_DURATION_NS = 9_223_372_036_854_775_807;

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3, // U+00B5 micro sign
  "\u03bcs": 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Result of a parse that reports Ollama's error text instead of throwing. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Go `strconv.Quote` for the strings we echo back (JSON escaping matches it for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Parses a Go duration string ("300ms", "1h30m", "-1.5h", "0") into
 * nanoseconds. Errors use Go's wording, e.g. `time: missing unit in duration "3600"`.
 */
export function parseGoDuration(input: string): ParseResult<number> {
  const invalid = (): ParseResult<number> => ({ ok: false, message: `time: invalid duration ${goQuote(input)}` });
  let s = input;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  // Go special-cases a lone zero so "0" needs no unit.
  if (s === "0") return { ok: true, value: 0 };
  if (s === "") return invalid();

  let total = 0;
  while (s !== "") {
    const first = s[0];
    if (first === undefined || !(first === "." || isDigit(first))) return invalid();
    const intPart = /^[0-9]*/.exec(s)?.[0] ?? "";
    s = s.slice(intPart.length);
    let fracPart = "";
    if (s.startsWith(".")) {
      s = s.slice(1);
      fracPart = /^[0-9]*/.exec(s)?.[0] ?? "";
      s = s.slice(fracPart.length);
    }
    if (intPart === "" && fracPart === "") return invalid(); // "." alone
    const unitMatch = /^[^0-9.]*/.exec(s)?.[0] ?? "";
    if (unitMatch === "") return { ok: false, message: `time: missing unit in duration ${goQuote(input)}` };
    s = s.slice(unitMatch.length);
    const scale = UNIT_NS[unitMatch];
    if (scale === undefined) {
      return { ok: false, message: `time: unknown unit ${goQuote(unitMatch)} in duration ${goQuote(input)}` };
    }
    total += Number(`${intPart || "0"}.${fracPart || "0"}`) * scale;
    if (total > MAX_DURATION_NS) return invalid();
  }
  return { ok: true, value: negative ? -total : total };
}

/**
 * Parses a request's `keep_alive` into milliseconds, or `undefined` when the
 * field is absent or JSON null (the Go field is a pointer, so null means unset).
 * Numbers are seconds; any negative value means {@link KEEP_FOREVER}.
 * Wrong JSON types give `Unsupported type: '<go type>'`, as Ollama does.
 */
export function parseKeepAlive(value: unknown): ParseResult<number | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value === "number") {
    return { ok: true, value: value < 0 ? KEEP_FOREVER : value * 1000 };
  }
  if (typeof value === "string") {
    const parsed = parseGoDuration(value);
    if (!parsed.ok) return parsed;
    return { ok: true, value: parsed.value < 0 ? KEEP_FOREVER : parsed.value / 1e6 };
  }
  return { ok: false, message: `Unsupported type: '${goTypeName(value)}'` };
}

/** The name Go's `reflect.TypeOf` gives a value decoded into `any`. */
export function goTypeName(value: unknown): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
