/**
 * One run's measurements, one row per (scenario point, path, repetition),
 * and their reduction to min/median/max per (point, path) and to the medians
 * the targets are judged on. Pure; unit-tested in test/unit/bench/relay-report.test.ts.
 */
import type { LatencySummary } from "./protocol.js";
import type { PathName } from "./plan.js";
import { spread, type Spread } from "./stats.js";
import type { Figures } from "./targets.js";

/** Conditions of one measurement window. */
export interface Conditions {
  /** CPU of each process in the window, % of one core. */
  readonly cpuPct: Record<string, number>;
  readonly coreBusyPct: number[];
  /** Busy CPU no harness process accounts for, % of one core (other tenants). */
  readonly foreignPct: number;
  /** Foreign CPU measured by the gate just before the window. */
  readonly gateForeignPct: number;
}

interface RowBase {
  readonly path: PathName;
  readonly rep: number;
  /** CPU of the system under test (gateway, ceiling server or nginx) in the window, % of one core; NaN for direct. */
  readonly sutCpuPct: number;
  readonly conditions: Conditions;
}

export interface SaturationRow extends RowBase {
  readonly streams: number;
  readonly tokensPerSecond: number;
  /** SUT CPU per relayed token, µs. */
  readonly usPerToken: number;
  /** tokens/s ÷ SUT CPU fraction: what one SUT core would relay. */
  readonly perCore: number;
  readonly errors: number;
  /** From opening the streams to all of them flowing (then the warm-up, then the window), ms. */
  readonly setupMs: number;
  /** Streams flowing when the warm-up started (less than `streams` when setup hit its 30 s limit). */
  readonly flowingAtWarmup: number;
  /**
   * Lines the backend wrote per second in the window. Above tokensPerSecond, the difference queued in
   * socket buffers or in the SUT's memory (0 for the ceiling, which has no upstream).
   */
  readonly backendLinesPerSecond: number;
  /** Peak RSS of the SUT over the window, bytes (NaN for direct). */
  readonly sutRssBytes: number;
}

export interface TtftRow extends RowBase {
  readonly concurrency: number;
  readonly requests: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
  /** SUT CPU per request (stream setup, first token, teardown), µs. */
  readonly usPerRequest: number;
  readonly errors: number;
  readonly firstError?: string;
}

export interface OpenLoopRow extends RowBase {
  readonly load: string;
  readonly streams: number;
  readonly rate: number;
  readonly offered: number;
  readonly delivered: number;
  readonly latency: LatencySummary;
  readonly usPerToken: number;
  /** Peak RSS of the SUT over the window, bytes. */
  readonly sutRssBytes: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly unstamped: number;
  /** From the first stream opened to all of them flowing (then the warm-up, then the window), ms. */
  readonly setupMs: number;
  /** Streams flowing when the warm-up started. */
  readonly flowingAtWarmup: number;
}

export interface IdleRow {
  readonly path: PathName;
  readonly rep: number;
  readonly streams: number;
  /** Streams the backend held open when RSS was sampled. */
  readonly openAtBackend: number;
  readonly rssBeforeBytes: number;
  readonly rssWithBytes: number;
  readonly bytesPerStream: number;
  /** V8 heap used (the gateway's nodejs_heap_size_used_bytes, garbage included) per stream; NaN for nginx. */
  readonly heapBytesPerStream: number;
  /** From the first stream opened to the backend holding all of them, ms. */
  readonly openMs: number;
  readonly errors: number;
}

export interface Rows {
  readonly saturation: SaturationRow[];
  readonly ttft: TtftRow[];
  readonly openLoop: OpenLoopRow[];
  readonly idle: IdleRow[];
}

/** Rows grouped by `key` then path, in first-seen order; each group with the spread of `pick`. */
export function groupSpread<R extends { path: PathName }>(rows: readonly R[], key: (r: R) => string | number, pick: (r: R) => number): Array<{ key: string | number; path: PathName; spread: Spread; rows: R[] }> {
  const groups = new Map<string, { key: string | number; path: PathName; rows: R[] }>();
  for (const r of rows) {
    const id = `${key(r)}\u0000${r.path}`;
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = { key: key(r), path: r.path, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()].map((g) => ({ ...g, spread: spread(g.rows.map(pick)) }));
}

/** Medians over repetitions, median of `pick` over the rows of one (point, path). */
function medianOf<R>(rows: readonly R[], pick: (r: R) => number): number {
  return spread(rows.map(pick)).median;
}

/** The figures the targets are judged on: per (point, path), the median over repetitions. */
export function figuresOf(rows: Rows): Figures {
  const saturationPerCore: Record<number, Record<string, number>> = {};
  for (const g of groupSpread(rows.saturation, (r) => r.streams, (r) => r.perCore)) (saturationPerCore[g.key as number] ??= {})[g.path] = g.spread.median;
  const ttft: Record<number, Record<string, { p50: number; p99: number }>> = {};
  for (const g of groupSpread(rows.ttft, (r) => r.concurrency, (r) => r.p50)) {
    (ttft[g.key as number] ??= {})[g.path] = { p50: medianOf(g.rows, (r) => r.p50), p99: medianOf(g.rows, (r) => r.p99) };
  }
  const openLoop: Record<string, Record<string, { p50: number; p99: number; errors: number; offered: number; delivered: number }>> = {};
  for (const g of groupSpread(rows.openLoop, (r) => r.load, (r) => r.latency.p50)) {
    (openLoop[g.key as string] ??= {})[g.path] = {
      p50: medianOf(g.rows, (r) => r.latency.p50),
      p99: medianOf(g.rows, (r) => r.latency.p99),
      errors: g.rows.reduce((sum, r) => sum + r.errors, 0),
      offered: medianOf(g.rows, (r) => r.offered),
      delivered: medianOf(g.rows, (r) => r.delivered),
    };
  }
  const idleBytesPerStream: Record<number, Record<string, number>> = {};
  for (const g of groupSpread(rows.idle, (r) => r.streams, (r) => r.bytesPerStream)) (idleBytesPerStream[g.key as number] ??= {})[g.path] = g.spread.median;
  return { saturationPerCore, ttft, openLoop, idleBytesPerStream };
}
