import { describe, expect, it } from "vitest";
import {
  DEFAULT_OUTLIER_CONFIG,
  OutlierDetector,
  type OutlierConfig,
  type RequestOutcome,
} from "../../../src/upstream/outlier-detector.js";
import { FakeClock, mulberry32 } from "../../support/fake-clock.js";

type Event = [at: number, name: string, kind: "eject", untilMs: number] | [at: number, name: string, kind: "uneject"];

const base: OutlierConfig = {
  consecutiveLocalFailures: 3,
  consecutive5xx: 3,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 50,
};

function setup(config: Partial<OutlierConfig> = {}, endpoints: readonly string[] = ["a", "b"]) {
  const clock = new FakeClock();
  const events: Event[] = [];
  const detector = new OutlierDetector({
    clock,
    config: { ...base, ...config },
    onEject: (name, untilMs) => events.push([clock.now(), name, "eject", untilMs]),
    onUneject: (name) => events.push([clock.now(), name, "uneject"]),
  });
  detector.setEndpoints(endpoints);
  return { clock, detector, events };
}

const token: Record<string, RequestOutcome> = { S: "success", L: "local_failure", X: "upstream_5xx", I: "ignored" };

/** Plays "L X S I +1000 …" on endpoint `name`: outcomes, and waits in ms. */
function play(clock: FakeClock, detector: OutlierDetector, name: string, script: string): void {
  for (const step of script.split(" ").filter(Boolean)) {
    if (step.startsWith("+")) clock.advance(Number(step.slice(1)));
    else detector.record(name, token[step] ?? (`bad token ${step}` as RequestOutcome));
  }
}

const times = (count: number, step: string): string => Array<string>(count).fill(step).join(" ");

describe("OutlierDetector outcome sequences (thresholds 3/3, base 30 s; endpoints a, b)", () => {
  const cases: Array<{ name: string; script: string; events: Event[]; config?: Partial<OutlierConfig> }> = [
    { name: "local failures eject", script: "L L L", events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]] },
    { name: "5xx eject", script: "X X X", events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]] },
    { name: "one below the threshold", script: "L L X X", events: [] },
    { name: "a success resets the local count", script: "L L S L L", events: [] },
    { name: "a success resets the 5xx count", script: "X X S X X", events: [] },
    { name: "a 5xx resets the local count (the connection worked)", script: "L L X L L", events: [] },
    { name: "a local failure keeps the 5xx count", script: "X X L X", events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]] },
    { name: "ignored outcomes never move a counter", script: "L L I I I I L", events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]] },
    { name: "ignored outcomes never eject", script: times(1000, "I"), events: [] },
    { name: "time between failures does not matter", script: "L +1000 L +5000 L", events: [[6000, "a", "eject", 36_000], [36_000, "a", "uneject"]] },
    { name: "counters restart at uneject", script: "L L L +30000 L L", events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]] },
    {
      name: "outcomes while ejected are dropped",
      script: "X X X X X S X X X +30000 X X",
      events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]],
    },
    {
      name: "a second ejection right after the first lasts twice as long",
      script: "L L L +30000 L L L",
      events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"], [30_000, "a", "eject", 90_000], [90_000, "a", "uneject"]],
    },
    { name: "consecutive5xx 0 disables the 5xx rule", config: { consecutive5xx: 0 }, script: times(100, "X"), events: [] },
    {
      name: "consecutiveLocalFailures 0 disables the local rule only",
      config: { consecutiveLocalFailures: 0 },
      script: `${times(100, "L")} X X X`,
      events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]],
    },
    { name: "defaults: 4 local failures are not enough", config: DEFAULT_OUTLIER_CONFIG, script: "L L L L X X X X", events: [] },
    {
      name: "defaults: 5 local failures eject for 30 s",
      config: DEFAULT_OUTLIER_CONFIG,
      script: "L L L L L",
      events: [[0, "a", "eject", 30_000], [30_000, "a", "uneject"]],
    },
  ];
  it.each(cases)("$name", ({ script, events, config }) => {
    const { clock, detector, events: seen } = setup(config);
    play(clock, detector, "a", script);
    clock.advance(1_000_000);
    expect(seen).toEqual(events);
    expect(detector.isEjected("a")).toBe(false);
    expect(detector.isEjected("b")).toBe(false);
  });

  it("calls onEject synchronously from record, after isEjected turned true", () => {
    const clock = new FakeClock(5_000);
    const seen: Array<[string, number, boolean]> = [];
    const detector = new OutlierDetector({
      clock,
      config: base,
      onEject: (name, untilMs) => seen.push([name, untilMs, detector.isEjected(name)]),
      onUneject: (name) => seen.push([name, clock.now(), detector.isEjected(name)]),
    });
    detector.setEndpoints(["a", "b"]);
    play(clock, detector, "a", "L L L");
    expect(seen).toEqual([["a", 35_000, true]]);
    expect(detector.stats("a")).toEqual({
      consecutiveLocalFailures: 3, consecutive5xx: 0, ejections: 1, overflows: 0, ejectedUntil: 35_000, multiplier: 1,
    });
    clock.advance(30_000);
    expect(seen).toEqual([["a", 35_000, true], ["a", 35_000, false]]);
    expect(detector.stats("a")).toEqual({
      consecutiveLocalFailures: 0, consecutive5xx: 0, ejections: 1, overflows: 0, ejectedUntil: undefined, multiplier: 1,
    });
  });

  it("ignores names it does not track", () => {
    const { clock, detector, events } = setup();
    play(clock, detector, "zzz", times(10, "L"));
    expect(events).toEqual([]);
    expect(detector.isEjected("zzz")).toBe(false);
    expect(detector.stats("zzz")).toBeUndefined();
  });
});

describe("OutlierDetector ejection time", () => {
  /** Ejects `a` now and returns the ejection's duration, leaving the clock at the uneject. */
  function ejectAndWait(clock: FakeClock, detector: OutlierDetector): number {
    const start = clock.now();
    play(clock, detector, "a", "L L L");
    const until = detector.stats("a")?.ejectedUntil;
    if (until === undefined) throw new Error("not ejected");
    clock.advance(until - start);
    expect(detector.isEjected("a")).toBe(false);
    return until - start;
  }

  it("grows by the base time per back-to-back ejection, up to the cap", () => {
    const { clock, detector, events } = setup({ maxEjectionMs: 100_000 });
    const durations = Array.from({ length: 6 }, () => ejectAndWait(clock, detector));
    expect(durations).toEqual([30_000, 60_000, 90_000, 100_000, 100_000, 100_000]);
    expect(events.filter((e) => e[2] === "eject").map((e) => [e[0], e[3]])).toEqual([
      [0, 30_000],
      [30_000, 90_000],
      [90_000, 180_000],
      [180_000, 280_000],
      [280_000, 380_000],
      [380_000, 480_000],
    ]);
    // The multiplier stops at ceil(100 / 30) = 4, so the history fades in 4 base intervals, not more.
    expect(detector.stats("a")).toMatchObject({ ejections: 6, multiplier: 4 });
    clock.advance(4 * 30_000 - 1);
    expect(detector.stats("a")?.multiplier).toBe(1);
    clock.advance(1);
    expect(detector.stats("a")?.multiplier).toBe(0);
    expect(ejectAndWait(clock, detector)).toBe(30_000);
  });

  it("with the default cap of 300 s the tenth back-to-back ejection reaches it", () => {
    const { clock, detector } = setup({ maxEjectionMs: 300_000 });
    const durations = Array.from({ length: 12 }, () => ejectAndWait(clock, detector) / 1000);
    expect(durations).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]);
  });

  it("maxEjectionMs equal to the base keeps every ejection at the base", () => {
    const { clock, detector } = setup({ maxEjectionMs: 30_000 });
    expect(Array.from({ length: 4 }, () => ejectAndWait(clock, detector))).toEqual([30_000, 30_000, 30_000, 30_000]);
  });

  // Rule: m = max(0, previous m − floor(time un-ejected / base)) + 1.
  it.each([
    { previous: 1, waitMs: 29_999, next: 60_000 },
    { previous: 1, waitMs: 30_000, next: 30_000 },
    { previous: 3, waitMs: 59_999, next: 90_000 },
    { previous: 3, waitMs: 60_000, next: 60_000 },
    { previous: 3, waitMs: 89_999, next: 60_000 },
    { previous: 3, waitMs: 90_000, next: 30_000 },
    { previous: 3, waitMs: 10_000_000, next: 30_000 },
  ])("after $previous back-to-back ejections and $waitMs ms un-ejected, the next lasts $next ms", ({ previous, waitMs, next }) => {
    const { clock, detector } = setup();
    for (let i = 0; i < previous; i++) ejectAndWait(clock, detector);
    clock.advance(waitMs);
    expect(ejectAndWait(clock, detector)).toBe(next);
  });

  it("time spent ejected does not decay the multiplier", () => {
    const { clock, detector } = setup();
    ejectAndWait(clock, detector); // 30 s
    ejectAndWait(clock, detector); // 60 s, all of it ejected
    expect(detector.stats("a")?.multiplier).toBe(2);
    expect(ejectAndWait(clock, detector)).toBe(90_000);
  });
});

describe("OutlierDetector max ejection percent", () => {
  const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `e${i}`);

  it.each([
    { n: 2, pct: 50, max: 1 },
    { n: 2, pct: 10, max: 1 },
    { n: 2, pct: 0, max: 1 },
    { n: 2, pct: 100, max: 2 },
    { n: 3, pct: 50, max: 1 },
    { n: 3, pct: 67, max: 2 },
    { n: 3, pct: 100, max: 3 },
    { n: 10, pct: 50, max: 5 },
    { n: 10, pct: 10, max: 1 },
    { n: 10, pct: 25, max: 2 },
    { n: 10, pct: 100, max: 10 },
  ])("$n endpoints at $pct %: at most $max ejected at once", ({ n, pct, max }) => {
    const { clock, detector, events } = setup({ maxEjectionPercent: pct }, names(n));
    for (const name of names(n)) play(clock, detector, name, "L L L");
    const ejected = names(n).filter((name) => detector.isEjected(name));
    expect(ejected).toEqual(names(n).slice(0, max));
    expect(events).toHaveLength(max);
    for (const name of names(n).slice(max)) {
      expect(detector.stats(name)).toMatchObject({ consecutiveLocalFailures: 3, overflows: 1, ejections: 0 });
      play(clock, detector, name, "L");
      expect(detector.isEjected(name)).toBe(false);
      expect(detector.stats(name)?.overflows).toBe(2);
    }
  });

  it("with 2 endpoints, the second is ejected by its next failure once the first returns", () => {
    const { clock, detector, events } = setup({}, ["a", "b"]);
    play(clock, detector, "a", "X X X +1000");
    play(clock, detector, "b", "L L L +29000");
    expect(detector.isEjected("b")).toBe(false);
    expect(detector.stats("b")?.overflows).toBe(1);
    play(clock, detector, "b", "L");
    clock.advance(100_000);
    expect(events).toEqual([
      [0, "a", "eject", 30_000],
      [30_000, "a", "uneject"],
      [30_000, "b", "eject", 60_000],
      [60_000, "b", "uneject"],
    ]);
  });

  it("a success clears a refused endpoint's count", () => {
    const { clock, detector } = setup({}, ["a", "b"]);
    play(clock, detector, "a", "L L L");
    play(clock, detector, "b", "L L L S +30000 L");
    expect(detector.isEjected("b")).toBe(false);
    expect(detector.stats("b")?.consecutiveLocalFailures).toBe(1);
  });

  it("shrinking the set never unejects early; it only refuses new ejections", () => {
    const all = names(10);
    const { clock, detector, events } = setup({}, all);
    for (const name of all.slice(0, 5)) play(clock, detector, name, "L L L");
    expect(events).toHaveLength(5);
    detector.setEndpoints(all.slice(0, 6)); // cap is now max(1, floor(6 × 0.5)) = 3, with 5 ejected
    expect(all.slice(0, 5).every((name) => detector.isEjected(name))).toBe(true);
    play(clock, detector, "e5", "L L L");
    expect(detector.isEjected("e5")).toBe(false);
    clock.advance(30_000);
    expect(events.filter((e) => e[2] === "uneject")).toHaveLength(5);
    play(clock, detector, "e5", "L");
    expect(detector.isEjected("e5")).toBe(true);
  });
});

describe("OutlierDetector endpoint set and stop", () => {
  it("removing an ejected endpoint clears its timer without onUneject; re-adding starts afresh", () => {
    const { clock, detector, events } = setup();
    play(clock, detector, "a", "L L L");
    expect(clock.pending()).toBe(1);
    detector.setEndpoints(["b"]);
    expect(clock.pending()).toBe(0);
    expect(detector.isEjected("a")).toBe(false);
    expect(detector.stats("a")).toBeUndefined();
    clock.advance(100_000);
    expect(events).toEqual([[0, "a", "eject", 30_000]]);
    detector.setEndpoints(["a", "b"]);
    expect(detector.stats("a")).toEqual({
      consecutiveLocalFailures: 0, consecutive5xx: 0, ejections: 0, overflows: 0, ejectedUntil: undefined, multiplier: 0,
    });
    play(clock, detector, "a", "L L L");
    expect(detector.stats("a")?.ejectedUntil).toBe(130_000); // the multiplier was forgotten too
  });

  it("keeps the state of endpoints kept", () => {
    const { clock, detector } = setup();
    play(clock, detector, "a", "L L");
    detector.setEndpoints(["b", "a", "c"]);
    play(clock, detector, "a", "L");
    expect(detector.isEjected("a")).toBe(true);
  });

  it("stop clears every timer, fires nothing after and ignores later calls", () => {
    const { clock, detector, events } = setup({}, ["a", "b", "c", "d"]);
    play(clock, detector, "a", "L L L");
    play(clock, detector, "b", "X X X");
    expect(clock.pending()).toBe(2);
    detector.stop();
    detector.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(1_000_000);
    play(clock, detector, "c", "L L L");
    detector.setEndpoints(["e"]);
    play(clock, detector, "e", "L L L");
    expect(events).toEqual([
      [0, "a", "eject", 30_000],
      [0, "b", "eject", 30_000],
    ]);
    expect(detector.isEjected("a")).toBe(false);
  });
});

describe("OutlierDetector config", () => {
  it.each([
    [{ consecutiveLocalFailures: -1 }, "outlierDetection.consecutiveLocalFailures: expected an integer >= 0 (0 disables), got -1"],
    [{ consecutive5xx: 2.5 }, "outlierDetection.consecutive5xx: expected an integer >= 0 (0 disables), got 2.5"],
    [{ baseEjectionMs: 0 }, "outlierDetection.baseEjectionMs: expected a finite number > 0, got 0"],
    [{ maxEjectionMs: 10_000 }, "outlierDetection.maxEjectionMs: expected a finite number >= baseEjectionMs (30000), got 10000"],
    [{ maxEjectionPercent: 101 }, "outlierDetection.maxEjectionPercent: expected a number in [0, 100], got 101"],
    [{ maxEjectionPercent: Number.NaN }, "outlierDetection.maxEjectionPercent: expected a number in [0, 100], got NaN"],
  ] satisfies Array<[Partial<OutlierConfig>, string]>)("rejects %o", (override, message) => {
    expect(() => setup(override)).toThrow(new RangeError(message));
  });
});

describe("FakeClock", () => {
  it("fires due timers in time order, ties in scheduling order, including timers scheduled while advancing", () => {
    const clock = new FakeClock(100);
    const fired: Array<[string, number]> = [];
    const log = (label: string) => () => fired.push([label, clock.now()]);
    clock.setTimeout(log("c"), 30);
    clock.setTimeout(() => {
      log("a")();
      clock.setTimeout(log("a+5"), 5); // due 115, before c
      clock.setTimeout(log("a+0"), 0); // due 110, same advance
      clock.setTimeout(log("late"), 100); // due 210, after this advance
    }, 10);
    clock.setTimeout(log("b"), 10);
    const cleared = clock.setTimeout(log("never"), 20);
    cleared.clear();
    expect(clock.pending()).toBe(3);
    clock.advance(30);
    expect(fired).toEqual([["a", 110], ["b", 110], ["a+0", 110], ["a+5", 115], ["c", 130]]);
    expect(clock.now()).toBe(130);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(210);
  });

  it("fires zero-delay timers on the next advance, never synchronously", () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    clock.setTimeout(() => fired++, -5);
    expect(fired).toBe(0);
    clock.advance(0);
    expect(fired).toBe(2);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it("mulberry32 is reproducible and stays in [0, 1)", () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mulberry32(2)()).not.toBe(xs[0]);
  });
});

describe("eject() on another detector's finding", () => {
  it("ejects under the same cap and timers, once", () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const detector = new OutlierDetector({
      clock,
      config: { consecutiveLocalFailures: 5, consecutive5xx: 5, baseEjectionMs: 1_000, maxEjectionMs: 10_000, maxEjectionPercent: 50 },
      onEject: (name, until) => events.push(`eject ${name} until ${until}`),
      onUneject: (name) => events.push(`uneject ${name}`),
    });
    detector.setEndpoints(["a", "b", "c", "d"]);
    const until = clock.now() + 1_000;
    expect(detector.eject("a")).toBe(true);
    expect(detector.eject("a")).toBe(true); // already ejected: no second event
    expect(detector.eject("b")).toBe(true);
    expect(detector.eject("c")).toBe(false); // 50% of 4: at most two ejected
    expect(detector.eject("zz")).toBe(false);
    clock.advance(1_000);
    expect(events).toEqual([`eject a until ${until}`, `eject b until ${until}`, "uneject a", "uneject b"]);
    detector.stop();
  });
});
