/**
 * Timestamps as Ollama writes them: Go's `time.RFC3339Nano` layout for a UTC
 * instant (`time.Now().UTC()`), i.e. a nanosecond fraction with trailing
 * zeros trimmed (no fraction at all when it is zero) and a trailing "Z".
 */

/** Formats `epochMs` plus `subMsNanos` (0-999999) like Go's RFC3339Nano in UTC. */
export function goTimestamp(epochMs: number, subMsNanos = 0): string {
  const whole = Math.floor(epochMs);
  const iso = new Date(whole).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const nanos = `${iso.slice(20, 23)}${String(Math.floor(subMsNanos) % 1_000_000).padStart(6, "0")}`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${nanos === "" ? "" : `.${nanos}`}Z`;
}
