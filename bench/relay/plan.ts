/**
 * What one run of the relay benchmark measures: the quick plan (`make bench`,
 * under 3 minutes, every scenario type once) and the full plan
 * (`make bench-full`, the whole matrix, 3 repetitions), plus command-line
 * overrides. Pure.
 */
import { parseArgs } from "node:util";
import type { StreamSpec } from "./wire.js";

/** The paths a scenario compares: baselines and the system under test. */
export type PathName = "direct" | "ceiling" | "gateway" | "gateway-full" | "nginx";

export const PATH_LABELS: Readonly<Record<PathName, string>> = {
  direct: "direct HTTP (baseline)",
  ceiling: "nice-grpc ceiling",
  gateway: "gateway",
  "gateway-full": "gateway, full stack",
  nginx: "nginx pass-through",
};

export interface OpenLoopLoad {
  readonly name: string;
  readonly streams: number;
  readonly rate: number;
  readonly rampMs: number;
}

export interface Plan {
  readonly mode: "quick" | "full";
  readonly reps: number;
  readonly saturation: {
    readonly streams: readonly number[];
    readonly paths: readonly PathName[];
    /** Paths measured only at some stream counts (the others at every one). */
    readonly onlyAt: Partial<Record<PathName, readonly number[]>>;
    /** Warm-up after every stream flows: warmMs + warmMsPerStream × streams (1000 streams need longer to settle). */
    readonly warmMs: number;
    readonly warmMsPerStream: number;
    /** Window: windowMs + windowMsPerStream × streams (figures at 1000 streams are the noisiest). */
    readonly windowMs: number;
    readonly windowMsPerStream: number;
  };
  readonly ttft: {
    readonly spec: StreamSpec;
    /** Concurrency 1: all paths at once, phase-shifted (load-gen.ts ttftStaggered). */
    readonly single: { readonly paths: readonly PathName[]; readonly warmup: number; readonly requests: number; readonly periodMs: number };
    /** Closed loops at these concurrencies, one path after the other. */
    readonly closed: ReadonlyArray<{ readonly concurrency: number; readonly warmup: number; readonly requests: number; readonly spec: StreamSpec; readonly paths: readonly PathName[] }>;
  };
  readonly openLoop: { readonly loads: readonly OpenLoopLoad[]; readonly paths: readonly PathName[]; readonly warmMs: number; readonly windowMs: number };
  readonly idle: { readonly streams: readonly number[]; readonly paths: readonly PathName[]; readonly settleMs: number };
  /**
   * Foreign-CPU gate before each measurement: threshold (% of a core), sampling time and longest wait;
   * a window whose foreign CPU exceeds `windowLimitPct` is measured again, at most `retries` times.
   */
  readonly gate: { readonly thresholdPct: number; readonly sampleMs: number; readonly maxWaitMs: number; readonly windowLimitPct: number; readonly retries: number };
  /** Scenario points only the full plan measures (for "not measured (bench-full)"). */
  readonly fullOnly: readonly string[];
}

/** TTFT streams at concurrency 1 and 50: first token after 50 ms, then 4 tokens and the done line at once. */
const SHORT: StreamSpec = { tokens: 5, rate: 0, firstMs: 50 };
/** TTFT streams at 500 concurrent: first token after 50 ms, then 30 tokens/s for about a second (TTFT under load). */
const UNDER_LOAD: StreamSpec = { tokens: 30, rate: 30, firstMs: 50 };

const TTFT_PATHS: readonly PathName[] = ["direct", "gateway", "gateway-full", "nginx"];

export const QUICK: Plan = {
  mode: "quick",
  reps: 1,
  saturation: { streams: [1, 10, 100, 1000], paths: ["direct", "ceiling", "gateway", "gateway-full"], onlyAt: { direct: [100, 1000], "gateway-full": [100, 1000] }, warmMs: 300, warmMsPerStream: 1, windowMs: 800, windowMsPerStream: 1.2 },
  ttft: {
    spec: SHORT,
    single: { paths: TTFT_PATHS, warmup: 10, requests: 1000, periodMs: 56 },
    closed: [
      { concurrency: 50, warmup: 100, requests: 1000, spec: SHORT, paths: TTFT_PATHS },
      { concurrency: 500, warmup: 300, requests: 1000, spec: UNDER_LOAD, paths: ["direct", "gateway", "nginx"] },
    ],
  },
  openLoop: {
    loads: [
      { name: "1000x30", streams: 1000, rate: 30, rampMs: 500 },
      { name: "5000x6", streams: 5000, rate: 6, rampMs: 1_000 },
    ],
    paths: ["direct", "gateway", "nginx"],
    warmMs: 300,
    windowMs: 1_500,
  },
  idle: { streams: [1000], paths: ["gateway", "nginx"], settleMs: 1_000 },
  gate: { thresholdPct: 10, sampleMs: 100, maxWaitMs: 500, windowLimitPct: 25, retries: 0 },
  fullOnly: ["idle-10000"],
};

export const FULL: Plan = {
  mode: "full",
  reps: 3,
  saturation: { streams: [1, 10, 100, 1000], paths: ["direct", "ceiling", "gateway", "gateway-full", "nginx"], onlyAt: {}, warmMs: 2_000, warmMsPerStream: 0, windowMs: 6_000, windowMsPerStream: 0 },
  ttft: {
    spec: SHORT,
    single: { paths: TTFT_PATHS, warmup: 50, requests: 1000, periodMs: 56 },
    closed: [
      { concurrency: 50, warmup: 200, requests: 2000, spec: SHORT, paths: TTFT_PATHS },
      { concurrency: 500, warmup: 1000, requests: 4000, spec: UNDER_LOAD, paths: TTFT_PATHS },
    ],
  },
  openLoop: {
    loads: [
      { name: "1000x30", streams: 1000, rate: 30, rampMs: 2_000 },
      { name: "5000x6", streams: 5000, rate: 6, rampMs: 5_000 },
    ],
    paths: ["direct", "gateway", "nginx"],
    warmMs: 3_000,
    windowMs: 20_000,
  },
  idle: { streams: [1000, 10_000], paths: ["gateway", "nginx"], settleMs: 3_000 },
  gate: { thresholdPct: 8, sampleMs: 500, maxWaitMs: 20_000, windowLimitPct: 20, retries: 2 },
  fullOnly: [],
};

export interface Options {
  readonly plan: Plan;
  readonly strict: boolean;
  readonly outDir: string;
  readonly gatewayBin: string | undefined;
  readonly nginx: boolean;
  readonly only: readonly string[] | undefined;
  /** Keep the temporary directory (configs, gateway logs, nginx logs) and print its path. */
  readonly keep: boolean;
}

/** Command-line options over the quick or full plan. */
export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      full: { type: "boolean", default: false },
      reps: { type: "string" },
      "sat-window-s": { type: "string" },
      "open-window-s": { type: "string" },
      only: { type: "string" },
      strict: { type: "boolean", default: false },
      out: { type: "string", default: "bench/results" },
      "gateway-bin": { type: "string" },
      "no-nginx": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  let plan: Plan = values.full === true ? FULL : QUICK;
  const num = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${text}`);
    return n;
  };
  const reps = num(values.reps, "reps");
  const satWindow = num(values["sat-window-s"], "sat-window-s");
  const openWindow = num(values["open-window-s"], "open-window-s");
  if (reps !== undefined) plan = { ...plan, reps: Math.floor(reps) };
  if (satWindow !== undefined) plan = { ...plan, saturation: { ...plan.saturation, windowMs: satWindow * 1000 } };
  if (openWindow !== undefined) plan = { ...plan, openLoop: { ...plan.openLoop, windowMs: openWindow * 1000 } };
  const only = values.only?.split(",").map((s) => s.trim());
  const scenarios = ["saturation", "ttft", "open", "idle"];
  for (const s of only ?? []) if (!scenarios.includes(s)) throw new Error(`--only: unknown scenario ${s} (expected ${scenarios.join(", ")})`);
  return { plan, strict: values.strict === true, outDir: values.out ?? "bench/results", gatewayBin: values["gateway-bin"], nginx: values["no-nginx"] !== true, only, keep: values.keep === true };
}
