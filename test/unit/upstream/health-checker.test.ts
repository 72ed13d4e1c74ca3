import { describe, expect, it } from "vitest";
import { HealthChecker, type HealthCheckConfig } from "../../../src/upstream/health-checker.js";
import { FakeClock, flushMicrotasks, mulberry32 } from "../../support/fake-clock.js";

/**
 * One scripted probe: "ok" resolves and "fail" rejects at once (same tick);
 * `{ ok | fail, afterMs }` settles that much later on the fake clock and
 * rejects early when aborted; "hang" settles only by abort; `deaf` ignores
 * the signal and settles after `afterMs` anyway.
 */
type Step = "ok" | "fail" | "hang" | { readonly result: "ok" | "fail"; readonly afterMs: number; readonly deaf?: boolean };

interface ProbeCall {
  readonly name: string;
  readonly at: number;
  readonly signal: AbortSignal;
}

const base: HealthCheckConfig = {
  intervalMs: 1_000,
  timeoutMs: 200,
  jitterFraction: 0,
  unhealthyThreshold: 2,
  healthyThreshold: 3,
};

function setup(options: {
  config?: Partial<HealthCheckConfig>;
  script?: Record<string, readonly Step[]>;
  random?: () => number;
  endpoints?: readonly string[];
}) {
  const clock = new FakeClock();
  const calls: ProbeCall[] = [];
  const events: Array<[number, string, string]> = [];
  const cursor = new Map<string, number>();
  const checker = new HealthChecker({
    clock,
    random: options.random ?? (() => 0.5),
    config: { ...base, ...options.config },
    onChange: (name, health) => events.push([clock.now(), name, health]),
    probe: (name, signal) => {
      calls.push({ name, at: clock.now(), signal });
      const index = cursor.get(name) ?? 0;
      cursor.set(name, index + 1);
      const step = options.script?.[name]?.[index];
      if (step === undefined) throw new Error(`no scripted probe #${index} for ${name}`);
      if (step === "ok") return Promise.resolve();
      if (step === "fail") return Promise.reject(new Error("refused"));
      return new Promise<void>((resolve, reject) => {
        if (step === "hang") {
          signal.addEventListener("abort", () => reject(signal.reason as Error));
          return;
        }
        const timer = clock.setTimeout(() => (step.result === "ok" ? resolve() : reject(new Error("500"))), step.afterMs);
        if (!step.deaf) {
          signal.addEventListener("abort", () => {
            timer.clear();
            reject(signal.reason as Error);
          });
        }
      });
    },
  });
  checker.setEndpoints(options.endpoints ?? Object.keys(options.script ?? {}));
  return { clock, checker, calls, events };
}

const steps = (text: string): Step[] => text.split(" ") as Step[];

describe("HealthChecker thresholds (unhealthy 2, healthy 3; probes every 1000 ms from 0)", () => {
  const cases: Array<{ name: string; script: string; events: Array<[number, string]> }> = [
    { name: "first success decides at once", script: "ok ok ok", events: [[0, "healthy"]] },
    { name: "first failure decides at once", script: "fail fail", events: [[0, "unhealthy"]] },
    { name: "one failure below the unhealthy threshold", script: "ok fail ok fail ok", events: [[0, "healthy"]] },
    { name: "unhealthy at exactly 2 consecutive failures", script: "ok fail fail", events: [[0, "healthy"], [2000, "unhealthy"]] },
    {
      name: "a success between failures restarts the count",
      script: "ok fail ok fail fail fail",
      events: [[0, "healthy"], [4000, "unhealthy"]],
    },
    { name: "two successes are below the healthy threshold", script: "fail ok ok fail ok ok", events: [[0, "unhealthy"]] },
    { name: "healthy at exactly 3 consecutive successes", script: "fail ok ok ok", events: [[0, "unhealthy"], [3000, "healthy"]] },
    {
      name: "round trip",
      script: "ok fail fail ok ok ok fail",
      events: [[0, "healthy"], [2000, "unhealthy"], [5000, "healthy"]],
    },
  ];
  it.each(cases)("$name: $script", async ({ script, events }) => {
    const probes = steps(script);
    const { clock, checker, calls, events: seen } = setup({ script: { a: probes } });
    await clock.advanceAsync((probes.length - 1) * 1000);
    expect(calls.map((c) => c.at)).toEqual(probes.map((_, i) => i * 1000));
    expect(seen).toEqual(events.map(([at, health]) => [at, "a", health]));
    checker.stop();
  });

  it("thresholds of 1 flip on every change of result", async () => {
    const { clock, events } = setup({
      config: { unhealthyThreshold: 1, healthyThreshold: 1 },
      script: { a: steps("ok ok fail ok fail fail") },
    });
    await clock.advanceAsync(5000);
    expect(events).toEqual([
      [0, "a", "healthy"],
      [2000, "a", "unhealthy"],
      [3000, "a", "healthy"],
      [4000, "a", "unhealthy"],
    ]);
  });

  it("counts attempts, successes, failures and the consecutive run", async () => {
    const { clock, checker } = setup({ script: { a: steps("ok fail ok ok fail fail") } });
    expect(checker.health("a")).toBe("unknown");
    expect(checker.stats("a")).toEqual({
      attempts: 0, successes: 0, failures: 0, timeouts: 0, consecutiveSuccesses: 0, consecutiveFailures: 0,
    });
    await clock.advanceAsync(3000);
    expect(checker.stats("a")).toEqual({
      attempts: 4, successes: 3, failures: 1, timeouts: 0, consecutiveSuccesses: 2, consecutiveFailures: 0,
    });
    await clock.advanceAsync(2000);
    expect(checker.stats("a")).toMatchObject({ attempts: 6, failures: 3, consecutiveSuccesses: 0, consecutiveFailures: 2 });
    expect(checker.health("a")).toBe("unhealthy");
    expect(checker.stats("nope")).toBeUndefined();
    expect(checker.health("nope")).toBe("unknown");
  });

  it("endpoints are checked independently", async () => {
    const { clock, events } = setup({ script: { a: steps("ok ok"), b: steps("fail fail") } });
    await clock.advanceAsync(1000);
    expect(events).toEqual([
      [0, "a", "healthy"],
      [0, "b", "unhealthy"],
    ]);
  });
});

describe("HealthChecker schedule", () => {
  it("measures the interval from the end of a probe and uses unhealthyIntervalMs while unhealthy", async () => {
    const slow = (result: "ok" | "fail") => ({ result, afterMs: 50 });
    const { clock, calls, events } = setup({
      config: { unhealthyIntervalMs: 5_000, healthyThreshold: 1 },
      script: { a: [slow("ok"), slow("fail"), slow("fail"), slow("fail"), slow("ok"), slow("ok")] },
    });
    await clock.advanceAsync(14_000);
    // ok@0-50, fail@1050-1100, fail@2100-2150 → unhealthy; then 5 s intervals until ok@12250-12300 → healthy.
    expect(calls.map((c) => c.at)).toEqual([0, 1050, 2100, 7150, 12_200, 13_250]);
    expect(events).toEqual([
      [50, "a", "healthy"],
      [2150, "a", "unhealthy"],
      [12_250, "a", "healthy"],
    ]);
  });

  it("keeps every interval within interval × (1 ± jitter) and the first probe within [0, interval × jitter]", async () => {
    const { clock, calls, checker } = setup({
      config: { jitterFraction: 0.1 },
      random: mulberry32(42),
      script: { a: Array<Step>(300).fill("ok") },
    });
    await clock.advanceAsync(250_000);
    checker.stop();
    const starts = calls.map((c) => c.at);
    expect(starts.length).toBeGreaterThan(200);
    expect(starts[0]).toBeGreaterThanOrEqual(0);
    expect(starts[0]).toBeLessThanOrEqual(100);
    const gaps = starts.slice(1).map((at, i) => at - (starts[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1100);
    // Not degenerate: the jitter is actually used across most of its range.
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(150);
  });

  it.each([
    { random: 0, first: 0, gap: 900 },
    { random: 0.5, first: 50, gap: 1000 },
    { random: 0.999_999, first: 99.9999, gap: 1099.9998 },
    { random: 1, first: 100, gap: 1100 }, // out of contract, clamped just below 1
    { random: -3, first: 0, gap: 900 }, // out of contract, clamped to 0
  ])("jitter edges: random() = $random", async ({ random, first, gap }) => {
    const { clock, calls } = setup({ config: { jitterFraction: 0.1 }, random: () => random, script: { a: steps("ok ok ok") } });
    await clock.advanceAsync(2 * 1100 + 100);
    expect(calls).toHaveLength(3);
    const [a0, a1, a2] = calls.map((c) => c.at) as [number, number, number];
    expect(a0).toBeCloseTo(first, 3);
    expect(a1 - a0).toBeCloseTo(gap, 3);
    expect(a2 - a1).toBeCloseTo(gap, 3);
  });

  it("spreads the first probes of a fleet instead of probing in lockstep", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `e${i}`);
    const { clock, calls } = setup({
      config: { jitterFraction: 0.2 },
      random: mulberry32(7),
      script: Object.fromEntries(names.map((n) => [n, ["ok"] as Step[]])),
    });
    await clock.advanceAsync(200);
    const firsts = calls.map((c) => c.at);
    expect(firsts).toHaveLength(10);
    expect(new Set(firsts).size).toBe(10);
    for (const at of firsts) expect(at).toBeLessThanOrEqual(200);
  });
});

describe("HealthChecker timeouts", () => {
  it("aborts a probe that does not settle in time and counts it as a failure", async () => {
    const { clock, checker, calls, events } = setup({ script: { a: ["hang", "ok"] } });
    await clock.advanceAsync(199);
    expect(calls[0]?.signal.aborted).toBe(false);
    expect(events).toEqual([]);
    await clock.advanceAsync(1);
    expect(calls[0]?.signal.aborted).toBe(true);
    expect((calls[0]?.signal.reason as Error).name).toBe("TimeoutError");
    expect(events).toEqual([[200, "a", "unhealthy"]]);
    expect(checker.stats("a")).toMatchObject({ attempts: 1, failures: 1, timeouts: 1, consecutiveFailures: 1 });
    await clock.advanceAsync(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 1200]);
  });

  it("a probe settling just before the timeout counts as it settled", async () => {
    const { clock, checker, events } = setup({ script: { a: [{ result: "ok", afterMs: 199 }] } });
    await clock.advanceAsync(500);
    expect(events).toEqual([[199, "a", "healthy"]]);
    expect(checker.stats("a")).toMatchObject({ successes: 1, timeouts: 0 });
  });

  it("ignores a late result from a probe that ignored its signal", async () => {
    const { clock, checker, events } = setup({
      config: { unhealthyThreshold: 1 },
      script: { a: [{ result: "ok", afterMs: 500, deaf: true }, "hang"] },
    });
    await clock.advanceAsync(1000);
    expect(events).toEqual([[200, "a", "unhealthy"]]);
    expect(checker.stats("a")).toMatchObject({ attempts: 1, successes: 0, failures: 1, timeouts: 1 });
  });

  it("ignores a late result that arrives while the next probe is in flight", async () => {
    const { clock, checker, calls, events } = setup({
      config: { timeoutMs: 500 },
      script: { a: [{ result: "ok", afterMs: 1600, deaf: true }, "hang"] },
    });
    await clock.advanceAsync(1600); // probe 1 times out at 500; probe 2 starts at 1500; probe 1 resolves at 1600
    expect(calls.map((c) => [c.at, c.signal.aborted])).toEqual([
      [0, true],
      [1500, false],
    ]);
    expect(checker.stats("a")).toMatchObject({ attempts: 2, successes: 0, failures: 1 });
    await clock.advanceAsync(400);
    expect(calls[1]?.signal.aborted).toBe(true);
    expect(checker.stats("a")).toMatchObject({ attempts: 2, successes: 0, failures: 2, timeouts: 2 });
    expect(events).toEqual([[500, "a", "unhealthy"]]);
  });

  it("a probe that throws synchronously is a failure", async () => {
    const { clock, checker, events } = setup({ script: { a: [] } });
    await clock.advanceAsync(0);
    expect(events).toEqual([[0, "a", "unhealthy"]]);
    expect(checker.stats("a")).toMatchObject({ attempts: 1, failures: 1, timeouts: 0 });
    checker.stop();
  });
});

describe("HealthChecker endpoint set", () => {
  it("removal mid-probe aborts the probe, clears its timers and fires nothing after", async () => {
    const { clock, checker, calls, events } = setup({
      script: { a: [{ result: "ok", afterMs: 100, deaf: true }], b: ["hang"] },
    });
    await clock.advanceAsync(50);
    checker.setEndpoints([]);
    expect(calls.map((c) => [c.name, c.signal.aborted, (c.signal.reason as Error).name])).toEqual([
      ["a", true, "AbortError"],
      ["b", true, "AbortError"],
    ]);
    expect(checker.health("a")).toBe("unknown");
    expect(checker.stats("a")).toBeUndefined();
    expect(clock.pending()).toBe(1); // only the deaf probe's own timer
    await clock.advanceAsync(10_000);
    expect(events).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it("removal between probes clears the next probe", async () => {
    const { clock, checker, calls } = setup({ script: { a: ["ok"] } });
    await clock.advanceAsync(500);
    expect(clock.pending()).toBe(1);
    checker.setEndpoints([]);
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(10_000);
    expect(calls).toHaveLength(1);
  });

  it("keeps the state of names kept, and starts re-added names afresh", async () => {
    const { clock, checker, calls } = setup({ script: { a: steps("ok ok ok"), b: steps("fail ok") } });
    await clock.advanceAsync(0);
    checker.setEndpoints(["a", "b", "a"]);
    expect(checker.health("a")).toBe("healthy");
    checker.setEndpoints(["a"]);
    checker.setEndpoints(["a", "b"]);
    expect(checker.health("b")).toBe("unknown");
    expect(checker.stats("b")?.attempts).toBe(0);
    await clock.advanceAsync(0);
    expect(checker.health("b")).toBe("healthy"); // second scripted step: "ok"
    expect(calls.map((c) => [c.name, c.at])).toEqual([
      ["a", 0],
      ["b", 0],
      ["b", 0],
    ]);
  });
});

describe("HealthChecker.checkNow", () => {
  it("probes at once and resumes the schedule from that probe", async () => {
    const { clock, checker, calls, events } = setup({
      config: { intervalMs: 10_000 },
      script: { a: steps("ok fail fail ok") },
    });
    await clock.advanceAsync(3000);
    expect(checker.checkNow("a")).toBe(true);
    await clock.advanceAsync(0);
    await clock.advanceAsync(1000);
    expect(checker.checkNow("a")).toBe(true);
    await clock.advanceAsync(10_000);
    expect(calls.map((c) => c.at)).toEqual([0, 3000, 4000, 14_000]);
    expect(events).toEqual([
      [0, "a", "healthy"],
      [4000, "a", "unhealthy"],
    ]);
  });

  it("does not overlap a probe in flight", async () => {
    const { clock, checker, calls } = setup({ script: { a: [{ result: "ok", afterMs: 150 }, "ok"] } });
    await clock.advanceAsync(100);
    expect(checker.checkNow("a")).toBe(false);
    await clock.advanceAsync(50);
    expect(calls).toHaveLength(1);
    expect(checker.checkNow("a")).toBe(true);
    expect(calls.map((c) => c.at)).toEqual([0, 150]);
  });

  it("replaces the initial jittered wait", async () => {
    const { clock, checker, calls } = setup({ config: { jitterFraction: 1 }, random: () => 0.9, script: { a: ["ok"] } });
    expect(clock.nextDue()).toBe(900);
    expect(checker.checkNow("a")).toBe(true);
    expect(calls.map((c) => c.at)).toEqual([0]);
    await clock.advanceAsync(0);
    expect(clock.nextDue()).toBe(1800); // 1000 × (1 + 1 × (2 × 0.9 − 1)), not 900
  });

  it("never calls onChange synchronously", async () => {
    const { clock, checker, events } = setup({ script: { a: ["ok"] } });
    checker.checkNow("a");
    expect(events).toEqual([]);
    await flushMicrotasks();
    expect(events).toEqual([[0, "a", "healthy"]]);
    await clock.advanceAsync(0); // the initial wait was replaced: nothing else runs
  });

  it("is false for unknown names", () => {
    const { checker } = setup({ script: { a: [] } });
    expect(checker.checkNow("b")).toBe(false);
  });
});

describe("HealthChecker.stop", () => {
  it("aborts probes in flight, clears every timer and fires nothing after", async () => {
    const { clock, checker, calls, events } = setup({
      script: { a: [{ result: "ok", afterMs: 100 }], b: [{ result: "fail", afterMs: 100, deaf: true }] },
    });
    await clock.advanceAsync(10);
    checker.stop();
    checker.stop();
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    expect(checker.checkNow("a")).toBe(false);
    checker.setEndpoints(["c"]);
    expect(checker.stats("c")).toBeUndefined();
    await clock.advanceAsync(100_000);
    expect(events).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });
});

describe("HealthChecker config", () => {
  it.each([
    [{ intervalMs: 0 }, "healthCheck.intervalMs: expected a finite number > 0, got 0"],
    [{ timeoutMs: Number.NaN }, "healthCheck.timeoutMs: expected a finite number > 0, got NaN"],
    [{ unhealthyIntervalMs: -1 }, "healthCheck.unhealthyIntervalMs: expected a finite number > 0, got -1"],
    [{ jitterFraction: 1.5 }, "healthCheck.jitterFraction: expected a number in [0, 1], got 1.5"],
    [{ unhealthyThreshold: 0 }, "healthCheck.unhealthyThreshold: expected an integer >= 1, got 0"],
    [{ healthyThreshold: 1.5 }, "healthCheck.healthyThreshold: expected an integer >= 1, got 1.5"],
  ] satisfies Array<[Partial<HealthCheckConfig>, string]>)("rejects %o", (override, message) => {
    expect(() => setup({ config: override })).toThrow(new RangeError(message));
  });
});
