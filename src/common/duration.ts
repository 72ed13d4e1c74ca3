/**
 * Human-readable durations ("250ms", "30s", "5m", "1h30m") for config files,
 * CLI flags and environment variables. The grammar is Go's
 * time.ParseDuration (what Ollama itself accepts), without the µs/ns units
 * that no setting here needs.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration into milliseconds. A bare "0" is zero; any other number
 * needs a unit. Returns undefined when the text is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  let rest = trimmed;
  let sign = 1;
  if (rest.startsWith("-")) {
    sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const match = PART.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return sign * total;
}

/** Formats milliseconds compactly for logs and messages: 1500 -> "1.5s". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return "none";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(3))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(3))}m`;
  return `${Number((ms / 3_600_000).toFixed(3))}h`;
}
