/** Statistical outlier detection per interval: success rate (mean − k·stdev) and failure percentage. */
import { describe, expect, it } from "vitest";
import { SuccessRateDetector, type StatisticalOutlierConfig } from "../../../src/upstream/success-rate-detector.js";
import { FakeClock } from "../../support/fake-clock.js";

type Traffic = Record<string, [successes: number, failures: number]>;

function run(config: Omit<StatisticalOutlierConfig, "intervalMs">, traffic: Traffic): string[] {
  const clock = new FakeClock();
  const ejected: string[] = [];
  const detector = new SuccessRateDetector({ clock, config: { intervalMs: 1_000, ...config }, eject: (name) => ejected.push(name) });
  for (const [name, [ok, failed]] of Object.entries(traffic)) {
    for (let i = 0; i < ok; i++) detector.record(name, "success");
    for (let i = 0; i < failed; i++) detector.record(name, i % 2 === 0 ? "upstream_5xx" : "local_failure");
    detector.record(name, "ignored"); // never counted
  }
  clock.advance(1_000);
  detector.stop();
  return ejected;
}

const successRate = { minimumHosts: 3, requestVolume: 20, stdevFactor: 1900 };
const failurePercentage = { minimumHosts: 2, requestVolume: 20, threshold: 85 };

describe("SuccessRateDetector", () => {
  it.each([
    { name: "ejects the endpoint far below the others", config: { successRate }, traffic: { a: [100, 0], b: [99, 1], c: [100, 0], d: [100, 0], e: [40, 60] }, expected: ["e"] },
    { name: "ejects no one when all are alike", config: { successRate }, traffic: { a: [90, 10], b: [91, 9], c: [89, 11] }, expected: [] },
    { name: "ignores endpoints below the request volume", config: { successRate }, traffic: { a: [100, 0], b: [100, 0], c: [100, 0], d: [5, 10] }, expected: [] },
    { name: "needs minimum_hosts endpoints with volume", config: { successRate }, traffic: { a: [100, 0], b: [10, 90] }, expected: [] },
    { name: "failure percentage works with two backends", config: { failurePercentage }, traffic: { a: [100, 0], b: [10, 90] }, expected: ["b"] },
    { name: "failure percentage below the threshold ejects no one", config: { failurePercentage }, traffic: { a: [100, 0], b: [20, 80] }, expected: [] },
    { name: "failure percentage needs request volume", config: { failurePercentage }, traffic: { a: [100, 0], b: [1, 10] }, expected: [] },
    { name: "off when neither is configured", config: {}, traffic: { a: [100, 0], b: [0, 100] }, expected: [] },
  ] as const)("$name", ({ config, traffic, expected }) => {
    expect(run(config, traffic as unknown as Traffic)).toEqual(expected);
  });

  it("starts each interval from zero", () => {
    const clock = new FakeClock();
    const ejected: string[] = [];
    const detector = new SuccessRateDetector({ clock, config: { intervalMs: 1_000, failurePercentage }, eject: (n) => ejected.push(n) });
    for (let i = 0; i < 30; i++) detector.record("b", "upstream_5xx");
    for (let i = 0; i < 30; i++) detector.record("a", "success");
    clock.advance(1_000);
    expect(ejected).toEqual(["b"]);
    for (let i = 0; i < 30; i++) detector.record("b", "success");
    for (let i = 0; i < 30; i++) detector.record("a", "success");
    clock.advance(1_000);
    expect(ejected).toEqual(["b"]); // the second interval is clean
    detector.stop();
    expect(clock.pending()).toBe(0);
  });
});
