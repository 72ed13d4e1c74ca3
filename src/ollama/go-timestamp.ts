/**
 * Timestamps as Ollama writes them: Go's `time.RFC3339Nano` layout for a UTC
 * instant (`time.Now().UTC()`), i.e. a nanosecond fraction with trailing
 * zeros trimmed (no fraction at all when it is zero) and a trailing "Z".
 *
 * The HTTP front door formats one `created_at` per token, so the common case
 * (whole milliseconds) avoids `toISOString` and regular expressions: the
 * "yyyy-mm-ddThh:mm:ss" prefix is cached per second (streams running at the
 * same time share it) and the millisecond fraction comes from a table. That
 * took it from ~640 ns to a few tens of ns (`bench/micro/go-timestamp.mjs`).
 */

/** ".mmm" with trailing zeros trimmed, for each millisecond 0-999 ("" for 0). */
const MS_FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, ms) => (ms === 0 ? "" : `.${String(ms).padStart(3, "0").replace(/0+$/, "")}`));

let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** Formats `epochMs` plus `subMsNanos` (0-999999) like Go's RFC3339Nano in UTC. */
export function goTimestamp(epochMs: number, subMsNanos = 0): string {
  const whole = Math.floor(epochMs);
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19); // yyyy-mm-ddThh:mm:ss
    cachedSecond = second;
  }
  const ms = whole - second * 1000;
  if (subMsNanos === 0) return `${cachedPrefix}${MS_FRACTIONS[ms]}Z`;
  const nanos = `${String(ms).padStart(3, "0")}${String(Math.floor(subMsNanos) % 1_000_000).padStart(6, "0")}`.replace(/0+$/, "");
  return `${cachedPrefix}${nanos === "" ? "" : `.${nanos}`}Z`;
}
