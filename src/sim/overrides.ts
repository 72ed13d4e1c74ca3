/**
 * Per-request overrides through `x-sim-*` headers, for manual use with curl:
 * `x-sim-fault`, `x-sim-tokens`, `x-sim-tokens-per-second`, `x-sim-first-token-ms`.
 * A malformed header is a 400, so a typo never silently runs the default.
 */
import type { IncomingHttpHeaders } from "node:http";
import { parseFaultHeader } from "./faults.js";
import type { FaultSpec } from "./options.js";
import type { ParseResult } from "../ollama/keep-alive.js";

/** What a request's headers override; absent fields fall back to the simulator's settings. */
export interface RequestOverrides {
  readonly fault?: FaultSpec;
  readonly tokens?: number;
  readonly tokensPerSecond?: number;
  readonly firstTokenMs?: number;
}

/** Reads the `x-sim-*` headers. */
export function parseOverrides(headers: IncomingHttpHeaders): ParseResult<RequestOverrides> {
  const overrides: { -readonly [K in keyof RequestOverrides]: RequestOverrides[K] } = {};
  const fault = single(headers["x-sim-fault"]);
  if (fault !== undefined) {
    const parsed = parseFaultHeader(fault);
    if (!parsed.ok) return parsed;
    overrides.fault = parsed.value;
  }
  const numeric = [
    ["x-sim-tokens", "tokens", true],
    ["x-sim-tokens-per-second", "tokensPerSecond", false],
    ["x-sim-first-token-ms", "firstTokenMs", false],
  ] as const;
  for (const [header, field, integral] of numeric) {
    const raw = single(headers[header]);
    if (raw === undefined) continue;
    const value = Number(raw.trim());
    if (raw.trim() === "" || !Number.isFinite(value) || value < 0 || (integral && !Number.isInteger(value))) {
      return { ok: false, message: `invalid ${header} header ${JSON.stringify(raw)}` };
    }
    overrides[field] = value;
  }
  return { ok: true, value: overrides };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
