/**
 * Scripted failures: the per-model fault table and the `x-sim-fault` header
 * syntax. A header fault replaces the table's fault for that one request, so
 * programmatic faults and header faults run through the same code.
 */
import { modelKey } from "./model-name.js";
import { validateFault } from "./options.js";
import type { FaultSpec } from "./options.js";
import type { ParseResult } from "../ollama/keep-alive.js";

/** The error text of a crashed Ollama runner, used when a fault gives no message. */
export const RUNNER_CRASH_MESSAGE =
  "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details";

const COUNT_KEYS: Readonly<Record<string, keyof FaultSpec>> = {
  "error-after": "errorAfterTokens",
  "drop-after": "dropAfterTokens",
  "stall-after": "stallAfterTokens",
  "malformed-after": "malformedAfterTokens",
};

/**
 * Parses an `x-sim-fault` header: directives separated by ";" or ",", e.g.
 * `status=503`, `status=500;message=boom`, `error-after=3`, `drop-after=2`,
 * `stall-after=1`, `malformed-after=2`, `no-done`.
 */
export function parseFaultHeader(header: string): ParseResult<FaultSpec> {
  const fault: FaultSpec = {};
  for (const part of header.split(/[;,]/)) {
    const directive = part.trim();
    if (directive === "") continue;
    const eq = directive.indexOf("=");
    const key = (eq < 0 ? directive : directive.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : directive.slice(eq + 1).trim();
    if (key === "no-done" && eq < 0) {
      fault.endWithoutDone = true;
    } else if (key === "message" && eq >= 0) {
      fault.message = value;
    } else if (key === "status" && /^\d+$/.test(value)) {
      fault.status = Number(value);
    } else if (COUNT_KEYS[key] !== undefined && /^\d+$/.test(value)) {
      Object.assign(fault, { [COUNT_KEYS[key]]: Number(value) });
    } else {
      return { ok: false, message: `invalid x-sim-fault directive ${JSON.stringify(directive)}` };
    }
  }
  try {
    return { ok: true, value: validateFault(fault, "x-sim-fault") };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Faults by model (case-insensitive, ":latest" optional) plus a "*" wildcard. */
export class FaultTable {
  #byKey = new Map<string, FaultSpec>();

  constructor(initial: Readonly<Record<string, FaultSpec>>) {
    for (const [model, fault] of Object.entries(initial)) this.set(model, fault);
  }

  /**
   * Sets or clears (`undefined`) the fault for a model name or "*".
   * @throws RangeError for an invalid model name or fault.
   */
  set(model: string, fault: FaultSpec | undefined): void {
    const key = model === "*" ? "*" : modelKey(model);
    if (key === undefined) throw new RangeError(`setFault: invalid model name ${JSON.stringify(model)}`);
    if (fault === undefined) this.#byKey.delete(key);
    else this.#byKey.set(key, { ...validateFault(fault) });
  }

  /** The fault for a model key: its own, else the wildcard, else none. */
  forModel(key: string): FaultSpec | undefined {
    return this.#byKey.get(key) ?? this.#byKey.get("*");
  }
}
