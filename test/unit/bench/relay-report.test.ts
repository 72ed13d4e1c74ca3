import { describe, expect, it } from "vitest";
import type { PathName } from "../../../bench/relay/plan.js";
import { fmtSpread, num, renderReport, saturationTable, signed } from "../../../bench/relay/report.js";
import { figuresOf, type Conditions, type Rows, type SaturationRow } from "../../../bench/relay/results.js";
import { spread } from "../../../bench/relay/stats.js";

const conditions: Conditions = { cpuPct: {}, coreBusyPct: [100, 100], foreignPct: 1, gateForeignPct: 0 };

function sat(path: PathName, streams: number, rep: number, tokensPerSecond: number, sutCpuPct: number): SaturationRow {
  const cpuSeconds = sutCpuPct / 100;
  return { path, rep, streams, tokensPerSecond, sutCpuPct, usPerToken: (cpuSeconds * 1e6) / tokensPerSecond, perCore: tokensPerSecond / cpuSeconds, errors: 0, setupMs: 10, flowingAtWarmup: streams, backendLinesPerSecond: tokensPerSecond, sutRssBytes: 100e6, conditions };
}

describe("number formatting", () => {
  const cases: Array<[number, string]> = [
    [0.1234, "0.12"],
    [12.345, "12.3"],
    [123.4, "123"],
    [1234, "1.23k"],
    [12_345, "12.3k"],
    [123_456, "123k"],
    [1_234_567, "1.23M"],
    [Number.NaN, "–"],
    [Infinity, "∞"],
  ];
  it.each(cases)("num(%s) = %s", (v, text) => {
    expect(num(v)).toBe(text);
  });

  it("signs differences and spreads repetitions", () => {
    expect(signed(0.4)).toBe("+0.40");
    expect(signed(-12.3)).toBe("-12.3");
    expect(fmtSpread(spread([1, 2, 3]))).toBe("1.00 / **2.00** / 3.00");
    expect(fmtSpread(spread([5]))).toBe("5.00");
    expect(fmtSpread(spread([]))).toBe("–");
  });
});

describe("report", () => {
  const rows: Rows = {
    saturation: [
      sat("gateway", 100, 0, 90_000, 60),
      sat("gateway", 100, 1, 100_000, 60),
      sat("gateway", 100, 2, 95_000, 60),
      ...[0, 1, 2].map((rep) => sat("ceiling", 100, rep, 200_000, 100)),
      ...[0, 1, 2].map((rep) => ({ ...sat("direct", 100, rep, 400_000, Number.NaN), usPerToken: Number.NaN, perCore: Number.NaN })),
    ],
    ttft: [],
    openLoop: [],
    idle: [],
  };

  it("shows baselines before the gateway, with min / median / max and the ratio to the ceiling", () => {
    const lines = saturationTable(rows).split("\n");
    expect(lines[2]).toBe("| 100 | direct HTTP (baseline) | 400k / **400k** / 400k | – | – | – | – | 400k | – | 0.01 | 0 | 1 |");
    expect(lines[3]).toMatch(/^\| 100 \| nice-grpc ceiling \| 200k \/ \*\*200k\*\* \/ 200k \| 100 \|/);
    expect(lines[4]).toBe("| 100 | gateway | 90.0k / **95.0k** / 100k | 60 | 6.00 / **6.32** / 6.67 | 150k / **158k** / 167k | 0.79x | 95.0k | 100 | 0.01 | 0 | 1 |");
  });

  it("takes the targets' figures from the medians", () => {
    expect(figuresOf(rows).saturationPerCore[100]).toEqual({ gateway: 95_000 / 0.6, ceiling: 200_000, direct: Number.NaN });
  });

  it("puts the targets first and names what was not available", () => {
    const text = renderReport(
      { title: "T", command: "make bench", when: "now", machine: "m", gateway: "g", layout: "l", reps: 3, durationS: 1, unavailable: { nginx: "not installed" }, notes: ["a note"] },
      rows,
      [{ id: "x", target: "a target", measured: "1", verdict: "MISSED" }],
    );
    expect(text).toContain("## Targets: 0 met, 1 missed, 0 not measured");
    expect(text).toContain("| a target | 1 | **MISSED** |");
    expect(text).toContain("- nginx pass-through: not available (not installed)");
    expect(text.indexOf("## Targets")).toBeLessThan(text.indexOf("## Saturation relay"));
    expect(text).toContain("- a note");
  });
});
