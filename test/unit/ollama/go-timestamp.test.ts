import { describe, expect, it } from "vitest";
import { goTimestamp } from "../../../src/ollama/go-timestamp.js";
import { encodeGoJson } from "../../../src/ollama/go-json.js";

/** The plain formula the cached one must agree with: toISOString, fraction trimmed. */
function reference(epochMs: number, subMsNanos = 0): string {
  const whole = Math.floor(epochMs);
  const iso = new Date(whole).toISOString();
  const nanos = `${iso.slice(20, 23)}${String(Math.floor(subMsNanos) % 1_000_000).padStart(6, "0")}`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${nanos === "" ? "" : `.${nanos}`}Z`;
}

describe("goTimestamp", () => {
  it.each([
    [Date.UTC(2026, 10, 21, 21, 34, 41, 822), 0, "2026-11-21T21:34:41.822Z"],
    [Date.UTC(2026, 10, 21, 21, 34, 41, 800), 0, "2026-11-21T21:34:41.8Z"],
    [Date.UTC(2026, 10, 21, 21, 34, 41, 50), 0, "2026-11-21T21:34:41.05Z"],
    [Date.UTC(2026, 10, 21, 21, 34, 41, 0), 0, "2026-11-21T21:34:41Z"],
    [Date.UTC(2026, 10, 21, 21, 34, 41, 0), 1, "2026-11-21T21:34:41.000000001Z"],
    [Date.UTC(2026, 10, 21, 21, 34, 41, 7), 120_000, "2026-11-21T21:34:41.00712Z"],
    [Date.UTC(1969, 11, 31, 23, 59, 59, 999), 0, "1969-12-31T23:59:59.999Z"],
    [0, 0, "1970-01-01T00:00:00Z"],
  ])("%d + %d ns -> %s", (ms, nanos, expected) => {
    expect(goTimestamp(ms, nanos)).toBe(expected);
  });

  it("agrees with the plain formula across seconds, in any order (the per-second cache never leaks)", () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 5_000; i++) {
      const ms = start + Math.floor(random() * 10_000) * (random() < 0.5 ? 1 : 997);
      const nanos = random() < 0.2 ? Math.floor(random() * 1_000_000) : 0;
      expect(goTimestamp(ms, nanos)).toBe(reference(ms, nanos));
    }
  });
});

describe("encodeGoJson", () => {
  it.each([
    [{ a: "plain" }, '{"a":"plain"}'],
    [{ a: "<b>&</b>" }, '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'],
    [{ a: "line\u2028sep\u2029" }, '{"a":"line\\u2028sep\\u2029"}'],
  ])("%j", (value, expected) => {
    expect(encodeGoJson(value)).toBe(expected);
  });
});
