/**
 * The relay benchmark's scenarios. Each measures its baselines and the
 * gateway side by side, one path right after the other at each scenario
 * point (or, at concurrency 1, all at once, phase-shifted), after waiting
 * for the backend to be idle and for foreign CPU to calm down. CPU is read
 * from /proc at the load generator's window edges.
 */
import type { Command, IdleOpenResult, LoadTarget, OpenLoopResult, SaturateResult, TtftResult } from "./protocol.js";
import { PATH_LABELS, type PathName, type Plan } from "./plan.js";
import { gate, rssBytes, snapshot, usage, type Proc, type Snapshot, type Usage } from "./processes.js";
import type { Conditions, IdleRow, OpenLoopRow, Rows, SaturationRow, TtftRow } from "./results.js";
import { backendStats, waitForBackend, type LoadGen } from "./stack.js";
import { latencySummary, sortedOf } from "./stats.js";

/** One path: where the load goes, and the process whose CPU and memory it costs (none for direct). */
export interface PathTarget {
  readonly target: LoadTarget;
  readonly sut: Proc | undefined;
}

/** A fresh system under test for the idle scenario (its RSS must not carry earlier scenarios' heap). */
export type FreshSut = (path: PathName, streams: number) => Promise<{ path: PathTarget; metricsUrl?: string; stop(): Promise<void> }>;

/** `nodejs_heap_size_used_bytes` from a gateway's Prometheus metrics (prom-client's default metrics); NaN when unavailable. */
async function heapUsed(metricsUrl: string | undefined): Promise<number> {
  if (metricsUrl === undefined) return Number.NaN;
  try {
    const text = await (await fetch(metricsUrl)).text();
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

export interface Bench {
  readonly plan: Plan;
  readonly load: LoadGen;
  readonly backendUrl: string;
  readonly paths: Partial<Record<PathName, PathTarget>>;
  /** Every harness process alive now (for CPU accounting). */
  procs(): Proc[];
  readonly freshSut: FreshSut;
  readonly log: (line: string) => void;
  /** Paths that could not be measured (nginx not installed), with the reason. */
  readonly unavailable: Partial<Record<PathName, string>>;
}

const rssOf = (proc: Proc): number => proc.pids().reduce((sum, pid) => sum + rssBytes(pid), 0);

/** Waits for the backend to hold no stream and for foreign CPU to calm down; returns the gate's reading. */
async function quiet(bench: Bench): Promise<number> {
  await waitForBackend(bench.backendUrl, (s) => s.active === 0, 15_000);
  const { foreignPct, waitedMs } = await gate(bench.procs(), bench.plan.gate.thresholdPct, bench.plan.gate.sampleMs, bench.plan.gate.maxWaitMs);
  if (foreignPct >= bench.plan.gate.thresholdPct) bench.log(`  (foreign CPU still ${foreignPct.toFixed(0)}% after ${Math.round(waitedMs)} ms: measuring anyway, recorded)`);
  return foreignPct;
}

/**
 * Runs `command`, sampling CPU at its window edges and the SUT's RSS every 500 ms inside it; again (up to
 * the plan's retries) when other tenants used more than the plan allows during the window.
 */
interface Measured<T> {
  readonly result: T;
  readonly usage: Usage;
  readonly conditions: Conditions;
  /** Peak RSS of the SUT in the window (sampled every 500 ms), bytes. */
  readonly peakRss: number;
  /** Lines the backend wrote per second in the window (more than the SUT relays: queued in socket buffers or its memory). */
  readonly backendLinesPerSecond: number;
}

async function measured<T>(bench: Bench, command: Command, timeoutMs: number, sut: Proc | undefined): Promise<Measured<T>> {
  const { windowLimitPct, retries } = bench.plan.gate;
  for (let attempt = 0; ; attempt++) {
    const m = await measuredOnce<T>(bench, command, timeoutMs, sut);
    if (m.conditions.foreignPct <= windowLimitPct || attempt >= retries) return m;
    bench.log(`  (foreign CPU ${m.conditions.foreignPct.toFixed(0)}% during the window: measuring ${command.op} again)`);
  }
}

async function measuredOnce<T>(bench: Bench, command: Command, timeoutMs: number, sut: Proc | undefined): Promise<Measured<T>> {
  const gateForeignPct = await quiet(bench);
  let start: Snapshot | undefined;
  let end: Snapshot | undefined;
  let lines: [Promise<number>, Promise<number>] | undefined;
  const backendLines = (): Promise<number> => backendStats(bench.backendUrl).then((s) => s.tokens, () => Number.NaN);
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;
  const sampleRss = (): void => {
    if (sut !== undefined) peakRss = Math.max(peakRss, rssOf(sut));
  };
  try {
    const result = await bench.load.run<T>(command, timeoutMs, (edge) => {
      if (edge === "start") {
        start = snapshot(bench.procs());
        lines = [backendLines(), Promise.resolve(Number.NaN)];
        sampler = setInterval(sampleRss, 500);
      } else {
        end = snapshot(bench.procs());
        if (lines !== undefined) lines[1] = backendLines();
        sampleRss();
      }
    });
    if (start === undefined || end === undefined || lines === undefined) throw new Error(`${command.op}: no measurement window`);
    const u = usage(start, end);
    const [linesBefore, linesAfter] = await Promise.all(lines);
    return {
      result,
      usage: u,
      conditions: { cpuPct: u.cpuPct, coreBusyPct: u.coreBusyPct, foreignPct: u.foreignPct, gateForeignPct },
      peakRss,
      backendLinesPerSecond: (linesAfter - linesBefore) / u.seconds,
    };
  } finally {
    clearInterval(sampler);
  }
}

function sutCpu(u: Usage, sut: Proc | undefined): number {
  return sut === undefined ? Number.NaN : (u.cpuPct[sut.name] ?? Number.NaN);
}

function available(bench: Bench, paths: readonly PathName[]): Array<[PathName, PathTarget]> {
  return paths.flatMap((p) => {
    const t = bench.paths[p];
    return t === undefined ? [] : [[p, t] as [PathName, PathTarget]];
  });
}

const fmtK = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));

export async function runSaturation(bench: Bench, rep: number, rows: Rows): Promise<void> {
  const { streams: levels, paths, onlyAt } = bench.plan.saturation;
  for (const streams of levels) {
    const warmMs = bench.plan.saturation.warmMs + bench.plan.saturation.warmMsPerStream * streams;
    const windowMs = bench.plan.saturation.windowMs + bench.plan.saturation.windowMsPerStream * streams;
    for (const [path, { target, sut }] of available(bench, rotate(paths, rep))) {
      if (onlyAt[path] !== undefined && !onlyAt[path].includes(streams)) continue;
      const { result, usage: u, conditions, peakRss, backendLinesPerSecond } = await measured<SaturateResult>(bench, { op: "saturate", target, streams, warmMs, windowMs }, warmMs + windowMs + 90_000, sut);
      const seconds = result.windowMs / 1000;
      const sutPct = sutCpu(u, sut);
      const cpuSeconds = (sutPct / 100) * u.seconds;
      const row: SaturationRow = {
        path,
        rep,
        streams,
        tokensPerSecond: result.tokens / seconds,
        sutCpuPct: sutPct,
        usPerToken: (cpuSeconds * 1e6) / result.tokens,
        perCore: result.tokens / cpuSeconds,
        errors: result.errors,
        setupMs: result.setupMs,
        flowingAtWarmup: result.flowingAtWarmup,
        backendLinesPerSecond,
        sutRssBytes: sut === undefined ? Number.NaN : peakRss,
        conditions,
      };
      rows.saturation.push(row);
      bench.log(
        `  saturation ${String(streams).padStart(4)} streams  ${PATH_LABELS[path].padEnd(22)} ${fmtK(row.tokensPerSecond).padStart(7)} tok/s` +
          (sut === undefined ? "" : `  SUT ${sutPct.toFixed(0)}% CPU  ${row.usPerToken.toFixed(2)} us/token  ${fmtK(row.perCore)} tok/s per core  backend wrote ${fmtK(backendLinesPerSecond)} lines/s`) +
          (result.errors > 0 ? `  ${result.errors} errors` : "") +
          `  (all flowing after ${(result.setupMs / 1000).toFixed(2)} s${result.flowingAtWarmup < streams ? `: only ${result.flowingAtWarmup}` : ""})`,
      );
    }
  }
}

function ttftRow(path: PathName, rep: number, concurrency: number, r: TtftResult, u: Usage, conditions: Conditions, sut: Proc | undefined): TtftRow {
  const s = latencySummary(sortedOf(r.ttftMs));
  const sutPct = sutCpu(u, sut);
  const requests = r.ttftMs.length + r.errors;
  return {
    path,
    rep,
    concurrency,
    requests,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    requestsPerSecond: requests / (r.windowMs / 1000),
    sutCpuPct: sutPct,
    usPerRequest: ((sutPct / 100) * u.seconds * 1e6) / requests,
    errors: r.errors,
    ...(r.firstError !== undefined && { firstError: r.firstError }),
    conditions,
  };
}

function logTtft(bench: Bench, row: TtftRow): void {
  bench.log(
    `  ttft conc ${String(row.concurrency).padStart(3)}  ${PATH_LABELS[row.path].padEnd(22)} p50 ${row.p50.toFixed(2)}  p90 ${row.p90.toFixed(2)}  p99 ${row.p99.toFixed(2)} ms  (${row.requests} req, ${row.requestsPerSecond.toFixed(0)} req/s)` +
      (row.errors > 0 ? `  ${row.errors} errors: ${row.firstError}` : ""),
  );
}

export async function runTtft(bench: Bench, rep: number, rows: Rows): Promise<void> {
  const { single, closed, spec } = bench.plan.ttft;
  const singles = available(bench, single.paths);
  if (singles.length > 0) {
    const command: Command = { op: "ttftStaggered", targets: singles.map(([, p]) => p.target), warmup: single.warmup, requests: single.requests, periodMs: single.periodMs, spec };
    const { result, usage: u, conditions } = await measured<TtftResult[]>(bench, command, (single.warmup + single.requests) * single.periodMs * 2 + 60_000, undefined);
    singles.forEach(([path, { sut }], i) => {
      const row = ttftRow(path, rep, 1, result[i]!, u, conditions, sut);
      rows.ttft.push(row);
      logTtft(bench, row);
    });
  }
  for (const point of closed) {
    for (const [path, { target, sut }] of available(bench, rotate(point.paths, rep))) {
      const command: Command = { op: "ttft", target, concurrency: point.concurrency, warmup: point.warmup, requests: point.requests, spec: point.spec };
      const { result, usage: u, conditions } = await measured<TtftResult>(bench, command, 300_000, sut);
      const row = ttftRow(path, rep, point.concurrency, result, u, conditions, sut);
      rows.ttft.push(row);
      logTtft(bench, row);
    }
  }
}

export async function runOpenLoop(bench: Bench, rep: number, rows: Rows): Promise<void> {
  const { loads, paths, warmMs, windowMs } = bench.plan.openLoop;
  for (const load of loads) {
    for (const [path, { target, sut }] of available(bench, rotate(paths, rep))) {
      const command: Command = { op: "openLoop", target, streams: load.streams, rate: load.rate, rampMs: load.rampMs, warmMs, windowMs };
      const { result, usage: u, conditions, peakRss } = await measured<OpenLoopResult>(bench, command, load.rampMs + warmMs + windowMs + 120_000, sut);
      const sutPct = sutCpu(u, sut);
      const row: OpenLoopRow = {
        path,
        rep,
        load: load.name,
        streams: load.streams,
        rate: load.rate,
        offered: result.offeredPerSecond,
        delivered: result.tokens / (result.windowMs / 1000),
        latency: result.latency,
        sutCpuPct: sutPct,
        usPerToken: ((sutPct / 100) * u.seconds * 1e6) / result.tokens,
        sutRssBytes: sut === undefined ? Number.NaN : peakRss,
        errors: result.errors,
        ...(result.firstError !== undefined && { firstError: result.firstError }),
        unstamped: result.unstamped,
        setupMs: result.setupMs,
        flowingAtWarmup: result.flowingAtWarmup,
        conditions,
      };
      rows.openLoop.push(row);
      bench.log(
        `  open loop ${load.name.padEnd(8)} ${PATH_LABELS[path].padEnd(22)} delivered ${fmtK(row.delivered)}/${fmtK(row.offered)} tok/s  latency p50 ${fixed(row.latency.p50, 2)}  p99 ${fixed(row.latency.p99, 2)}  max ${fixed(row.latency.max, 1)} ms` +
          (sut === undefined ? "" : `  SUT ${sutPct.toFixed(0)}% CPU`) +
          (row.errors > 0 ? `  ${row.errors} errors: ${row.firstError}` : "") +
          `  (all flowing after ${(result.setupMs / 1000).toFixed(2)} s${result.flowingAtWarmup < load.streams ? `: only ${result.flowingAtWarmup}` : ""})`,
      );
    }
  }
}

export async function runIdle(bench: Bench, rep: number, rows: Rows): Promise<void> {
  const { streams: levels, paths, settleMs } = bench.plan.idle;
  for (const streams of levels) {
    for (const path of paths) {
      if (bench.unavailable[path] !== undefined) continue;
      await quiet(bench);
      const fresh = await bench.freshSut(path, streams);
      try {
        const { target, sut } = fresh.path;
        if (sut === undefined) throw new Error(`idle: ${path} has no process to measure`);
        // Warm-up streams before the "before" RSS is read (code paths loaded, pools and connections created).
        await bench.load.run({ op: "ttft", target, concurrency: 20, warmup: 0, requests: 200, spec: { tokens: 4, rate: 0, firstMs: 0 } }, 60_000);
        await waitForBackend(bench.backendUrl, (s) => s.active === 0, 10_000);
        await new Promise((r) => setTimeout(r, 500));
        const rssBefore = rssOf(sut);
        const heapBefore = await heapUsed(fresh.metricsUrl);
        const started = performance.now();
        const opened = await bench.load.run<IdleOpenResult>({ op: "idleOpen", target, streams }, 120_000);
        const all = await waitForBackend(bench.backendUrl, (s) => s.active >= streams, 60_000);
        const openMs = performance.now() - started;
        await new Promise((r) => setTimeout(r, settleMs));
        const rssWith = rssOf(sut);
        const heapWith = await heapUsed(fresh.metricsUrl);
        const { active } = await fetch(`${bench.backendUrl}/bench/stats`).then((r) => r.json() as Promise<{ active: number }>);
        const closed = await bench.load.run<{ errors: number }>({ op: "idleClose" }, 60_000);
        const row: IdleRow = {
          path,
          rep,
          streams,
          openAtBackend: active,
          rssBeforeBytes: rssBefore,
          rssWithBytes: rssWith,
          bytesPerStream: (rssWith - rssBefore) / streams,
          heapBytesPerStream: (heapWith - heapBefore) / streams,
          openMs,
          errors: opened.errors + closed.errors + (all ? 0 : streams - active),
        };
        rows.idle.push(row);
        bench.log(
          `  idle ${String(streams).padStart(5)} streams  ${PATH_LABELS[path].padEnd(22)} RSS ${(rssBefore / 1e6).toFixed(1)} -> ${(rssWith / 1e6).toFixed(1)} MB  ${(row.bytesPerStream / 1000).toFixed(1)} KB per stream  (${active} open at backend, ${(openMs / 1000).toFixed(1)} s to open)`,
        );
      } finally {
        await fresh.stop();
        await waitForBackend(bench.backendUrl, (s) => s.active === 0, 30_000);
      }
    }
  }
}

/** The paths in a different order each repetition, so that no path always runs first (or right after the heaviest). */
function rotate<T>(items: readonly T[], rep: number): T[] {
  const n = items.length;
  if (n === 0) return [];
  const shift = rep % n;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A figure for the progress log; "–" when there was nothing to measure (no token arrived in the window). */
function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
}
