/**
 * The relay benchmark's Markdown report: targets first (MET / MISSED / NOT
 * MEASURED with the measured value), then one table per scenario with the
 * baselines and the gateway side by side. A figure repeated over several
 * repetitions shows as `min / **median** / max`. Pure; unit-tested in
 * test/unit/bench/relay-report.test.ts.
 */
import { PATH_LABELS, type PathName } from "./plan.js";
import { groupSpread, type Rows } from "./results.js";
import { spread, type Spread } from "./stats.js";
import type { TargetResult } from "./targets.js";

export interface ReportContext {
  readonly title: string;
  readonly command: string;
  readonly when: string;
  readonly machine: string;
  readonly gateway: string;
  readonly layout: string;
  readonly reps: number;
  readonly durationS: number;
  /** Paths not measured, with the reason (e.g. nginx not installed). */
  readonly unavailable: Partial<Record<PathName, string>>;
  readonly notes: readonly string[];
}

/** Path order in every table: baselines first, then the gateway. */
const ORDER: readonly PathName[] = ["direct", "ceiling", "nginx", "gateway", "gateway-full"];
const byPath = <T extends { path: PathName }>(a: T, b: T): number => ORDER.indexOf(a.path) - ORDER.indexOf(b.path);

/** A number with about 3 significant digits; thousands as k, millions as M. */
export function num(v: number): string {
  if (Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 1000) return `${(v / 1e3).toFixed(2)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A signed difference, e.g. "+1.25" or "-0.40". */
export function signed(v: number): string {
  if (Number.isNaN(v)) return "–";
  return `${v >= 0 ? "+" : "-"}${num(Math.abs(v))}`;
}

/** One figure over repetitions: the value alone, or min / **median** / max. */
export function fmtSpread(s: Spread, format: (v: number) => string = num): string {
  if (s.n === 0) return "–";
  if (s.n === 1) return format(s.median);
  return `${format(s.min)} / **${format(s.median)}** / ${format(s.max)}`;
}

/** A Markdown table; columns from `rightFrom` on are right-aligned (numbers). */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, rightFrom = 2): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i < rightFrom ? "---" : "--:"))), ...rows.map(line)].join("\n");
}

function medianOf<R>(rows: readonly R[], pick: (r: R) => number): number {
  return spread(rows.map(pick)).median;
}

/** When every stream had its first token (median), with the shortfall when some never did. */
function setup(rows: ReadonlyArray<{ setupMs: number; flowingAtWarmup: number; streams: number }>): string {
  const worst = Math.min(...rows.map((r) => r.flowingAtWarmup));
  const streams = rows[0]?.streams ?? 0;
  return `${(medianOf(rows, (r) => r.setupMs) / 1000).toFixed(2)}${worst < streams ? ` (only ${worst} of ${streams})` : ""}`;
}

/** The worst foreign CPU (other tenants' busy time, % of a core) over a group's windows. */
function foreign(rows: ReadonlyArray<{ conditions: { foreignPct: number } }>): string {
  return Math.max(...rows.map((r) => r.conditions.foreignPct)).toFixed(0);
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const mark = (v: TargetResult["verdict"]) => (v === "MET" ? "**MET**" : v === "MISSED" ? "**MISSED**" : "NOT MEASURED");
  return table(
    ["target", "measured", "verdict"],
    targets.map((t) => [t.target, t.measured, mark(t.verdict)]),
    3,
  );
}

export function saturationTable(rows: Rows): string {
  const groups = groupSpread(rows.saturation, (r) => r.streams, (r) => r.tokensPerSecond);
  const ceiling = new Map(groups.filter((g) => g.path === "ceiling").map((g) => [g.key, medianOf(g.rows, (r) => r.perCore)]));
  const sorted = [...groups].sort((a, b) => (a.key as number) - (b.key as number) || byPath(a, b));
  return table(
    ["streams", "path", "tokens/s", "SUT CPU % (median)", "SUT µs/token", "tokens/s per SUT core", "per core ÷ ceiling", "backend wrote lines/s", "SUT peak RSS MB", "all flowing after s", "errors", "foreign CPU %"],
    sorted.map((g) => {
      const perCore = spread(g.rows.map((r) => r.perCore));
      const c = ceiling.get(g.key);
      return [
        String(g.key),
        PATH_LABELS[g.path],
        fmtSpread(g.spread),
        g.path === "direct" ? "–" : medianOf(g.rows, (r) => r.sutCpuPct).toFixed(0),
        fmtSpread(spread(g.rows.map((r) => r.usPerToken))),
        fmtSpread(perCore),
        g.path === "direct" || c === undefined ? "–" : `${(perCore.median / c).toFixed(2)}x`,
        g.path === "ceiling" ? "–" : num(medianOf(g.rows, (r) => r.backendLinesPerSecond)),
        g.path === "direct" ? "–" : num(medianOf(g.rows, (r) => r.sutRssBytes) / 1e6),
        setup(g.rows),
        String(g.rows.reduce((s, r) => s + r.errors, 0)),
        foreign(g.rows),
      ];
    }),
  );
}

export function ttftTable(rows: Rows): string {
  const groups = groupSpread(rows.ttft, (r) => r.concurrency, (r) => r.p50);
  const direct = new Map(groups.filter((g) => g.path === "direct").map((g) => [g.key, g.rows]));
  const sorted = [...groups].sort((a, b) => (a.key as number) - (b.key as number) || byPath(a, b));
  return table(
    ["conc.", "path", "requests", "p50 ms", "p90 ms", "p99 ms", "added p50 / p90 / p99 ms", "req/s", "SUT µs/request", "errors", "foreign CPU %"],
    sorted.map((g) => {
      const base = direct.get(g.key);
      const added =
        g.path === "direct" || base === undefined
          ? "–"
          : [medianOf(g.rows, (r) => r.p50) - medianOf(base, (r) => r.p50), medianOf(g.rows, (r) => r.p90) - medianOf(base, (r) => r.p90), medianOf(g.rows, (r) => r.p99) - medianOf(base, (r) => r.p99)]
              .map(signed)
              .join(" / ");
      return [
        String(g.key),
        PATH_LABELS[g.path],
        String(medianOf(g.rows, (r) => r.requests)),
        fmtSpread(g.spread),
        fmtSpread(spread(g.rows.map((r) => r.p90))),
        fmtSpread(spread(g.rows.map((r) => r.p99))),
        added,
        num(medianOf(g.rows, (r) => r.requestsPerSecond)),
        g.path === "direct" ? "–" : num(medianOf(g.rows, (r) => r.usPerRequest)),
        String(g.rows.reduce((s, r) => s + r.errors, 0)),
        foreign(g.rows),
      ];
    }),
  );
}

export function openLoopTable(rows: Rows): string {
  const groups = groupSpread(rows.openLoop, (r) => r.load, (r) => r.latency.p50);
  const direct = new Map(groups.filter((g) => g.path === "direct").map((g) => [g.key, g.rows]));
  const sorted = [...groups].sort((a, b) => (a.rows[0]!.streams - b.rows[0]!.streams) || byPath(a, b));
  return table(
    ["streams × tokens/s", "path", "delivered / offered tokens/s", "latency p50 ms", "p99 ms", "p99.9 ms", "max ms", "added p50 / p99 ms", "SUT CPU % (median)", "SUT µs/token", "SUT peak RSS MB", "all flowing after s", "errors", "foreign CPU %"],
    sorted.map((g) => {
      const base = direct.get(g.key);
      const added =
        g.path === "direct" || base === undefined
          ? "–"
          : `${signed(medianOf(g.rows, (r) => r.latency.p50) - medianOf(base, (r) => r.latency.p50))} / ${signed(medianOf(g.rows, (r) => r.latency.p99) - medianOf(base, (r) => r.latency.p99))}`;
      return [
        `${g.rows[0]!.streams} × ${g.rows[0]!.rate}`,
        PATH_LABELS[g.path],
        `${num(medianOf(g.rows, (r) => r.delivered))} / ${num(g.rows[0]!.offered)}`,
        fmtSpread(g.spread),
        fmtSpread(spread(g.rows.map((r) => r.latency.p99))),
        num(medianOf(g.rows, (r) => r.latency.p999)),
        num(medianOf(g.rows, (r) => r.latency.max)),
        added,
        g.path === "direct" ? "–" : medianOf(g.rows, (r) => r.sutCpuPct).toFixed(0),
        g.path === "direct" ? "–" : num(medianOf(g.rows, (r) => r.usPerToken)),
        g.path === "direct" ? "–" : num(medianOf(g.rows, (r) => r.sutRssBytes) / 1e6),
        setup(g.rows),
        String(g.rows.reduce((s, r) => s + r.errors, 0)),
        foreign(g.rows),
      ];
    }),
  );
}

export function idleTable(rows: Rows): string {
  const groups = groupSpread(rows.idle, (r) => r.streams, (r) => r.bytesPerStream);
  const sorted = [...groups].sort((a, b) => (a.key as number) - (b.key as number) || byPath(a, b));
  return table(
    ["open streams", "path", "RSS before MB", "RSS with streams MB", "KB per stream", "KiB per stream", "V8 heap used KB per stream", "open at backend", "time to open s", "errors"],
    sorted.map((g) => [
      String(g.key),
      PATH_LABELS[g.path],
      num(medianOf(g.rows, (r) => r.rssBeforeBytes) / 1e6),
      num(medianOf(g.rows, (r) => r.rssWithBytes) / 1e6),
      fmtSpread(g.spread, (v) => (v / 1000).toFixed(1)),
      (g.spread.median / 1024).toFixed(1),
      g.path === "nginx" ? "–" : num(medianOf(g.rows, (r) => r.heapBytesPerStream) / 1000),
      String(medianOf(g.rows, (r) => r.openAtBackend)),
      num(medianOf(g.rows, (r) => r.openMs) / 1000),
      String(g.rows.reduce((s, r) => s + r.errors, 0)),
    ]),
  );
}

/** The whole report. */
export function renderReport(ctx: ReportContext, rows: Rows, targets: readonly TargetResult[]): string {
  const met = targets.filter((t) => t.verdict === "MET").length;
  const missed = targets.filter((t) => t.verdict === "MISSED").length;
  const unmeasured = targets.length - met - missed;
  const unavailable = Object.entries(ctx.unavailable).map(([p, why]) => `- ${PATH_LABELS[p as PathName]}: not available (${why}); its rows are missing and the targets that need it are not measured.`);
  const parts = [
    `# ${ctx.title}`,
    "",
    `- command: \`${ctx.command}\``,
    `- when: ${ctx.when}, ${ctx.durationS.toFixed(0)} s; ${ctx.reps === 1 ? "1 repetition (single values)" : `${ctx.reps} repetitions (min / **median** / max)`}`,
    `- machine: ${ctx.machine}`,
    `- gateway: ${ctx.gateway}`,
    `- layout: ${ctx.layout}`,
    ...unavailable,
    "",
    `## Targets: ${met} met, ${missed} missed, ${unmeasured} not measured`,
    "",
    targetsTable(targets),
    "",
    "## Saturation relay",
    "",
    "The backend writes tokens as fast as the socket takes them; every stream stays open for the warm-up and the window. " +
      "The harness core (backend + load generator) caps raw tokens/s, so compare the gateway by its CPU: " +
      "*tokens/s per SUT core* = tokens/s ÷ the SUT's CPU fraction. Direct HTTP has no SUT; its tokens/s is the harness ceiling. " +
      "*Backend wrote lines/s* above *tokens/s*: the rest queued in socket buffers (loopback TCP lets one connection hold megabytes, so this lasts for tens of seconds) or in the SUT's memory (see its peak RSS).",
    "",
    saturationTable(rows),
    "",
    "## Time to first token",
    "",
    "First token 50 ms after the backend gets the request. Concurrency 1 and 50: then 4 tokens and the done line at once (closed loop). " +
      "Concurrency 500: then 30 tokens/s for about a second (TTFT under load, ≈ 500 new streams/s). " +
      "At concurrency 1 all paths run at once, phase-shifted so that their active moments never coincide. *Added* = the path's percentile − direct's.",
    "",
    ttftTable(rows),
    "",
    "## Many streams, open loop",
    "",
    "Streams opened evenly over a ramp, then held at a fixed rate per stream; latency = receive time − the backend's send stamp (CLOCK_MONOTONIC µs, carried as the token text).",
    "",
    openLoopTable(rows),
    "",
    "## Idle streams",
    "",
    "A fresh SUT process; 200 short warm-up streams; RSS; then N streams whose first token never comes (the backend holds them); RSS again once the backend holds all N. KB = 1000 bytes.",
    "",
    idleTable(rows),
    "",
    ...(ctx.notes.length > 0 ? ["## Notes", "", ...ctx.notes.map((n) => `- ${n}`), ""] : []),
  ];
  return parts.join("\n");
}
