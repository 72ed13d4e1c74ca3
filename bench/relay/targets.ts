/**
 * The issue's performance targets, judged on one run's figures (medians over
 * that run's repetitions, every comparison made within the run). A figure
 * that was not measured (quick mode, nginx not installed, a path that
 * failed) gives "NOT MEASURED", never a guess. Pure; unit-tested in
 * test/unit/bench/relay-targets.test.ts.
 */

export type Verdict = "MET" | "MISSED" | "NOT MEASURED";

/** Per-path figures of one scenario point; every field NaN when not measured. */
export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
}

export interface OpenLoopFigures extends LatencyFigures {
  readonly errors: number;
  readonly offered: number;
  readonly delivered: number;
}

/** Medians of one run, keyed by scenario point and path name. Missing keys = not measured. */
export interface Figures {
  /** Saturation: tokens/s per SUT core, by streams, then path ("gateway", "gateway-full", "ceiling"). */
  readonly saturationPerCore: Readonly<Record<number, Readonly<Record<string, number>>>>;
  /** TTFT by concurrency, then path ("direct", "gateway", "gateway-full", "nginx"). */
  readonly ttft: Readonly<Record<number, Readonly<Record<string, LatencyFigures>>>>;
  /** Open loop by load name ("1000x30", "5000x6"), then path ("direct", "gateway", "nginx"). */
  readonly openLoop: Readonly<Record<string, Readonly<Record<string, OpenLoopFigures>>>>;
  /** Idle streams: RSS bytes per open stream, by streams, then path. */
  readonly idleBytesPerStream: Readonly<Record<number, Readonly<Record<string, number>>>>;
}

export interface TargetResult {
  readonly id: string;
  readonly target: string;
  readonly measured: string;
  readonly verdict: Verdict;
}

const known = (...values: Array<number | undefined>): boolean => values.every((v) => v !== undefined && !Number.isNaN(v));

function verdict(ok: boolean | undefined): Verdict {
  return ok === undefined ? "NOT MEASURED" : ok ? "MET" : "MISSED";
}

const k = (v: number): string => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
const ms = (v: number): string => `${v >= 0 ? "+" : ""}${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)} ms`;
const plainMs = (v: number): string => `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)} ms`;

/** Why a figure is missing, for the "measured" column. */
export interface Missing {
  /** The scenario point is only in `make bench-full`. */
  readonly fullOnly: (what: string) => boolean;
  readonly nginx: boolean;
}

function notMeasured(id: string, target: string, why: string): TargetResult {
  return { id, target, measured: `not measured (${why})`, verdict: "NOT MEASURED" };
}

/** Every target of the issue, in its order. */
export function evaluateTargets(f: Figures, missing: Missing): TargetResult[] {
  const results: TargetResult[] = [];
  const why = (what: string, needsNginx = false): string => (needsNginx && !missing.nginx ? "nginx not available" : missing.fullOnly(what) ? "bench-full" : "no data");

  // Saturation relay, tokens/s per gateway core.
  for (const [streams, limit] of [
    [100, 150_000],
    [1000, 100_000],
  ] as const) {
    const id = `saturation-${streams}`;
    const target = `Saturation relay at ${streams} streams: >= ${k(limit)} tokens/s per gateway core`;
    const value = f.saturationPerCore[streams]?.gateway;
    const ceiling = f.saturationPerCore[streams]?.ceiling;
    if (value === undefined || !known(value)) results.push(notMeasured(id, target, why(`saturation-${streams}`)));
    else
      results.push({
        id,
        target,
        measured: `${k(value)} tokens/s per core${ceiling !== undefined && known(ceiling) ? ` (nice-grpc ceiling ${k(ceiling)}; ${(value / ceiling).toFixed(2)}x)` : ""}`,
        verdict: verdict(value >= limit),
      });
  }
  for (const streams of [100, 1000]) {
    const id = `full-stack-${streams}`;
    const target = `Full interceptor stack at ${streams} streams: >= 80% of the plain gateway's tokens/s per core`;
    const plain = f.saturationPerCore[streams]?.gateway;
    const full = f.saturationPerCore[streams]?.["gateway-full"];
    if (plain === undefined || full === undefined || !known(plain, full)) results.push(notMeasured(id, target, why(`saturation-${streams}`)));
    else results.push({ id, target, measured: `${((100 * full) / plain).toFixed(0)}% (${k(full)} vs ${k(plain)} tokens/s per core)`, verdict: verdict(full >= 0.8 * plain) });
  }

  // Many streams, open loop.
  {
    const id = "many-5000";
    const target = "5000 streams sharing 30k tokens/s: per-token latency p99 <= 2x nginx's, no errors";
    const gw = f.openLoop["5000x6"]?.gateway;
    const nginx = f.openLoop["5000x6"]?.nginx;
    if (gw === undefined || !known(gw.p99)) results.push(notMeasured(id, target, why("open-5000x6")));
    else if (nginx === undefined || !known(nginx.p99)) results.push(notMeasured(id, target, why("open-5000x6", true)));
    else {
      const ok = gw.p99 <= 2 * nginx.p99 && gw.errors === 0;
      const errors = gw.errors === 0 ? "no errors" : `${gw.errors} errors`;
      results.push({ id, target, measured: `p99 ${plainMs(gw.p99)} vs nginx ${plainMs(nginx.p99)} (${(gw.p99 / nginx.p99).toFixed(1)}x), ${errors}, delivered ${k(gw.delivered)}/${k(gw.offered)} tokens/s`, verdict: verdict(ok) });
    }
  }
  {
    const id = "many-1000";
    const target = "1000 streams at 30 tokens/s each: per-token latency p50 <= +1 ms over direct";
    const gw = f.openLoop["1000x30"]?.gateway;
    const direct = f.openLoop["1000x30"]?.direct;
    if (gw === undefined || direct === undefined || !known(gw.p50, direct.p50)) results.push(notMeasured(id, target, why("open-1000x30")));
    else results.push({ id, target, measured: `${ms(gw.p50 - direct.p50)} (p50 ${plainMs(gw.p50)} vs direct ${plainMs(direct.p50)})`, verdict: verdict(gw.p50 - direct.p50 <= 1) });
  }

  // Added time to first token.
  {
    const id = "ttft-1";
    const target = "Added TTFT vs direct HTTP at concurrency 1: p50 <= +0.5 ms";
    const gw = f.ttft[1]?.gateway;
    const direct = f.ttft[1]?.direct;
    if (gw === undefined || direct === undefined || !known(gw.p50, direct.p50)) results.push(notMeasured(id, target, why("ttft-1")));
    else results.push({ id, target, measured: `${ms(gw.p50 - direct.p50)} (p50 ${plainMs(gw.p50)} vs ${plainMs(direct.p50)})`, verdict: verdict(gw.p50 - direct.p50 <= 0.5) });
  }
  {
    const id = "ttft-500";
    const target = "Added TTFT at 500 concurrent: p50 and p99 no worse than nginx's added TTFT";
    const gw = f.ttft[500]?.gateway;
    const direct = f.ttft[500]?.direct;
    const nginx = f.ttft[500]?.nginx;
    if (gw === undefined || direct === undefined || !known(gw.p50, gw.p99, direct.p50, direct.p99)) results.push(notMeasured(id, target, why("ttft-500")));
    else if (nginx === undefined || !known(nginx.p50, nginx.p99)) results.push(notMeasured(id, target, why("ttft-500", true)));
    else {
      const added = { p50: gw.p50 - direct.p50, p99: gw.p99 - direct.p99 };
      const peer = { p50: nginx.p50 - direct.p50, p99: nginx.p99 - direct.p99 };
      results.push({
        id,
        target,
        measured: `added p50 ${ms(added.p50)} (nginx ${ms(peer.p50)}), p99 ${ms(added.p99)} (nginx ${ms(peer.p99)})`,
        verdict: verdict(added.p50 <= peer.p50 && added.p99 <= peer.p99),
      });
    }
  }

  // Idle streams.
  {
    const id = "idle-10k";
    const target = "Idle streams: <= 15 KB (15,000 bytes) of RSS per open stream at 10k streams";
    const value = f.idleBytesPerStream[10_000]?.gateway;
    const nginx = f.idleBytesPerStream[10_000]?.nginx;
    if (value === undefined || !known(value)) {
      const at1k = f.idleBytesPerStream[1000]?.gateway;
      const hint = at1k !== undefined && known(at1k) ? `; ${(at1k / 1000).toFixed(1)} KB per stream at 1k` : "";
      results.push({ ...notMeasured(id, target, why("idle-10000")), measured: `not measured (${why("idle-10000")})${hint}` });
    } else {
      const peer = nginx !== undefined && known(nginx) ? ` (nginx ${(nginx / 1000).toFixed(1)} KB)` : "";
      results.push({ id, target, measured: `${(value / 1000).toFixed(1)} KB per stream${peer}`, verdict: verdict(value <= 15_000) });
    }
  }
  return results;
}
