import { describe, expect, it } from "vitest";
import { evaluateTargets, type Figures, type Verdict } from "../../../bench/relay/targets.js";

const NONE: Figures = { saturationPerCore: {}, ttft: {}, openLoop: {}, idleBytesPerStream: {} };
const quick = { nginx: true, fullOnly: (what: string) => what === "idle-10000" };
const lat = (p50: number, p99: number) => ({ p50, p99 });
const open = (p50: number, p99: number, errors = 0) => ({ p50, p99, errors, offered: 30_000, delivered: 30_000 });

/** Figures that meet every target. */
const GOOD: Figures = {
  saturationPerCore: { 100: { gateway: 160_000, "gateway-full": 130_000, ceiling: 200_000 }, 1000: { gateway: 110_000, "gateway-full": 90_000 } },
  ttft: { 1: { direct: lat(51.4, 54), gateway: lat(51.8, 55) }, 500: { direct: lat(55, 120), gateway: lat(54, 100), nginx: lat(56, 110) } },
  openLoop: { "5000x6": { direct: open(2, 28), gateway: open(3, 40), nginx: open(2, 22) }, "1000x30": { direct: open(0.8, 10), gateway: open(1.7, 30) } },
  idleBytesPerStream: { 10_000: { gateway: 14_000, nginx: 9_900 } },
};

function verdicts(f: Figures, missing = quick): Record<string, Verdict> {
  return Object.fromEntries(evaluateTargets(f, missing).map((t) => [t.id, t.verdict]));
}

describe("evaluateTargets", () => {
  it("judges every target of the issue", () => {
    expect(verdicts(GOOD)).toEqual({
      "saturation-100": "MET",
      "saturation-1000": "MET",
      "full-stack-100": "MET",
      "full-stack-1000": "MET",
      "many-5000": "MET",
      "many-1000": "MET",
      "ttft-1": "MET",
      "ttft-500": "MET",
      "idle-10k": "MET",
    });
  });

  const misses: Array<[string, Figures, string]> = [
    ["saturation below 150k at 100", { ...GOOD, saturationPerCore: { ...GOOD.saturationPerCore, 100: { gateway: 149_999, "gateway-full": 130_000 } } }, "saturation-100"],
    ["full stack at 79% of plain", { ...GOOD, saturationPerCore: { ...GOOD.saturationPerCore, 1000: { gateway: 100_000, "gateway-full": 79_000 } } }, "full-stack-1000"],
    ["5000 streams: p99 over 2x nginx", { ...GOOD, openLoop: { ...GOOD.openLoop, "5000x6": { direct: open(2, 28), gateway: open(3, 44.1), nginx: open(2, 22) } } }, "many-5000"],
    ["5000 streams: errors", { ...GOOD, openLoop: { ...GOOD.openLoop, "5000x6": { direct: open(2, 28), gateway: open(3, 30, 1), nginx: open(2, 22) } } }, "many-5000"],
    ["1000 streams: p50 more than +1 ms", { ...GOOD, openLoop: { ...GOOD.openLoop, "1000x30": { direct: open(0.8, 10), gateway: open(1.81, 30) } } }, "many-1000"],
    ["TTFT conc 1: +0.6 ms", { ...GOOD, ttft: { ...GOOD.ttft, 1: { direct: lat(51.4, 54), gateway: lat(52.0, 55) } } }, "ttft-1"],
    ["TTFT 500: p99 added beyond nginx's", { ...GOOD, ttft: { ...GOOD.ttft, 500: { direct: lat(55, 120), gateway: lat(54, 131), nginx: lat(56, 130) } } }, "ttft-500"],
    ["idle: 15,001 bytes", { ...GOOD, idleBytesPerStream: { 10_000: { gateway: 15_001 } } }, "idle-10k"],
  ];
  it.each(misses)("%s -> MISSED", (_, figures, id) => {
    const v = verdicts(figures);
    expect(v[id]).toBe("MISSED");
    expect(Object.entries(v).filter(([k, x]) => k !== id && x !== "MET")).toEqual([]);
  });

  it("marks what was not measured, and why", () => {
    const results = evaluateTargets({ ...NONE, idleBytesPerStream: { 1000: { gateway: 37_300 } } }, quick);
    expect(results.every((r) => r.verdict === "NOT MEASURED")).toBe(true);
    expect(results.find((r) => r.id === "idle-10k")?.measured).toBe("not measured (bench-full); 37.3 KB per stream at 1k");
    expect(results.find((r) => r.id === "ttft-1")?.measured).toBe("not measured (no data)");
  });

  it("needs nginx for the targets relative to nginx, never guesses", () => {
    const withoutNginx: Figures = {
      ...GOOD,
      ttft: { ...GOOD.ttft, 500: { direct: lat(55, 120), gateway: lat(54, 100) } },
      openLoop: { ...GOOD.openLoop, "5000x6": { direct: open(2, 28), gateway: open(3, 40) } },
    };
    const results = evaluateTargets(withoutNginx, { nginx: false, fullOnly: () => false });
    expect(results.find((r) => r.id === "many-5000")).toMatchObject({ verdict: "NOT MEASURED", measured: "not measured (nginx not available)" });
    expect(results.find((r) => r.id === "ttft-500")).toMatchObject({ verdict: "NOT MEASURED", measured: "not measured (nginx not available)" });
  });

  it("states the measured values", () => {
    const byId = Object.fromEntries(evaluateTargets(GOOD, quick).map((t) => [t.id, t.measured]));
    expect(byId["saturation-100"]).toBe("160.0k tokens/s per core (nice-grpc ceiling 200.0k; 0.80x)");
    expect(byId["full-stack-100"]).toBe("81% (130.0k vs 160.0k tokens/s per core)");
    expect(byId["ttft-1"]).toBe("+0.40 ms (p50 51.80 ms vs 51.40 ms)");
    expect(byId["ttft-500"]).toBe("added p50 -1.00 ms (nginx +1.00 ms), p99 -20.00 ms (nginx -10.00 ms)");
    expect(byId["idle-10k"]).toBe("14.0 KB per stream (nginx 9.9 KB)");
  });
});
