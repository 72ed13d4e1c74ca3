/**
 * The relay benchmark's chart (PNG via bench/png.ts): saturation throughput
 * per SUT core vs streams, added TTFT vs concurrency, and per-token latency
 * of the open-loop loads, baselines and gateway in the same colours
 * throughout. Medians over repetitions.
 */
import { Canvas, type Rgb } from "../png.js";
import type { PathName } from "./plan.js";
import { groupSpread, type Rows } from "./results.js";
import { spread } from "./stats.js";

const BLACK: Rgb = [20, 20, 20];
const GREY: Rgb = [120, 120, 120];
const GRID: Rgb = [228, 228, 228];
const COLORS: Readonly<Record<PathName, Rgb>> = {
  direct: [90, 90, 90],
  ceiling: [44, 160, 44],
  nginx: [31, 119, 180],
  gateway: [214, 39, 40],
  "gateway-full": [255, 127, 14],
};
const NAMES: Readonly<Record<PathName, string>> = { direct: "direct", ceiling: "ceiling", nginx: "nginx", gateway: "gateway", "gateway-full": "full stack" };

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const log = (v: number, lo: number, hi: number, a: number, b: number): number => a + ((b - a) * (Math.log10(Math.min(hi, Math.max(lo, v))) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
const lin = (v: number, lo: number, hi: number, a: number, b: number): number => a + ((b - a) * (Math.min(hi, Math.max(lo, v)) - lo)) / (hi - lo || 1);

function mix(color: Rgb, white: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(color[i]! + (255 - color[i]!) * white)) as unknown as Rgb;
}

function axes(canvas: Canvas, box: Box, title: string, xLabel: string): void {
  canvas.line(box.left, box.top, box.left, box.bottom, BLACK, 2);
  canvas.line(box.left, box.bottom, box.right, box.bottom, BLACK, 2);
  canvas.text((box.left + box.right) / 2, box.top - 34, title, BLACK, 2, "center");
  canvas.text((box.left + box.right) / 2, box.bottom + 34, xLabel, BLACK, 2, "center");
}

function shortNumber(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}K`;
  return `${v}`;
}

function logGridY(canvas: Canvas, box: Box, lo: number, hi: number, format: (v: number) => string): void {
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (let k = 1; k < 10; k++) {
      const v = decade * k;
      if (v > hi) break;
      const y = log(v, lo, hi, box.bottom, box.top);
      if (k === 1) {
        canvas.line(box.left, y, box.right, y, GRID);
        canvas.text(box.left - 8, y - 7, format(v), BLACK, 2, "right");
      }
      canvas.line(box.left - (k === 1 ? 6 : 3), y, box.left, y, GREY);
    }
  }
}

function marker(canvas: Canvas, x: number, y: number, color: Rgb): void {
  canvas.fillRect(x - 4, y - 4, 9, 9, color);
}

function legend(canvas: Canvas, x: number, y: number, paths: readonly PathName[]): void {
  let lx = x;
  for (const p of paths) {
    canvas.fillRect(lx, y + 4, 22, 6, COLORS[p]);
    canvas.text(lx + 28, y, NAMES[p], COLORS[p], 2);
    lx += 28 + Canvas.textWidth(NAMES[p], 2) + 24;
  }
}

function drawSaturation(canvas: Canvas, rows: Rows, box: Box): void {
  const lo = 10_000;
  const hi = 10_000_000;
  axes(canvas, box, "SATURATION: TOKENS/S PER SUT CORE", "CONCURRENT STREAMS");
  logGridY(canvas, box, lo, hi, shortNumber);
  // The targets: 150k per gateway core at 100 streams, 100k at 1000.
  for (const [value, label] of [
    [150_000, "TARGET AT 100"],
    [100_000, "TARGET AT 1000"],
  ] as const) {
    const y = log(value, lo, hi, box.bottom, box.top);
    canvas.dashed(box.left, y, box.right, y, GREY, 3);
    canvas.text(box.right - 4, y - 12, label, GREY, 1, "right");
  }
  const xs = [1, 10, 100, 1000];
  const xOf = (streams: number) => log(streams, 0.5, 2000, box.left, box.right);
  for (const s of xs) canvas.text(xOf(s), box.bottom + 10, String(s), BLACK, 2, "center");
  const groups = groupSpread(rows.saturation, (r) => r.streams, (r) => (r.path === "direct" ? r.tokensPerSecond : r.perCore));
  const paths = [...new Set(groups.map((g) => g.path))];
  for (const path of paths) {
    const points = groups
      .filter((g) => g.path === path && Number.isFinite(g.spread.median))
      .sort((a, b) => (a.key as number) - (b.key as number))
      .map((g) => [xOf(g.key as number), log(g.spread.median, lo, hi, box.bottom, box.top)] as const);
    points.forEach(([x, y], i) => {
      const prev = points[i - 1];
      if (prev !== undefined) {
        if (path === "direct") canvas.dashed(prev[0], prev[1], x, y, COLORS[path], 6);
        else canvas.line(prev[0], prev[1], x, y, COLORS[path], 3);
      }
      marker(canvas, x, y, COLORS[path]);
    });
  }
  canvas.text(box.left + 8, box.bottom - 22, "GREY DASHED: DIRECT TOKENS/S (HARNESS CAP)", GREY, 1);
}

function drawTtft(canvas: Canvas, rows: Rows, box: Box): void {
  axes(canvas, box, "ADDED TTFT VS DIRECT (MS)", "CONCURRENCY");
  canvas.text(box.left + 8, box.top + 6, "P50 SOLID, P99 DASHED", GREY, 1);
  const groups = groupSpread(rows.ttft, (r) => r.concurrency, (r) => r.p50);
  const concs = [...new Set(groups.map((g) => g.key as number))].sort((a, b) => a - b);
  const base = new Map(groups.filter((g) => g.path === "direct").map((g) => [g.key, g.rows]));
  const med = (rs: ReadonlyArray<{ p50: number; p99: number }>, k: "p50" | "p99") => spread(rs.map((r) => r[k])).median;
  const series: Array<{ path: PathName; k: "p50" | "p99"; points: Array<[number, number]> }> = [];
  for (const path of ["nginx", "gateway", "gateway-full"] as const) {
    for (const k of ["p50", "p99"] as const) {
      const points: Array<[number, number]> = [];
      for (const g of groups.filter((g) => g.path === path)) {
        const b = base.get(g.key);
        if (b === undefined) continue;
        points.push([g.key as number, med(g.rows, k) - med(b, k)]);
      }
      if (points.length > 0) series.push({ path, k, points: points.sort((a, b) => a[0] - b[0]) });
    }
  }
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values) * 1.1;
  const step = niceStep((hi - lo) / 6);
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    const y = lin(v, lo, hi, box.bottom, box.top);
    canvas.line(box.left, y, box.right, y, Math.abs(v) < step / 2 ? GREY : GRID);
    canvas.text(box.left - 8, y - 7, `${Number(v.toPrecision(3))}`, BLACK, 2, "right");
  }
  const xOf = (c: number) => box.left + ((box.right - box.left) * (concs.indexOf(c) + 0.5)) / Math.max(1, concs.length);
  for (const c of concs) canvas.text(xOf(c), box.bottom + 10, String(c), BLACK, 2, "center");
  for (const s of series) {
    const pts = s.points.map(([c, v]) => [xOf(c), lin(v, lo, hi, box.bottom, box.top)] as const);
    pts.forEach(([x, y], i) => {
      const prev = pts[i - 1];
      if (prev !== undefined) {
        if (s.k === "p50") canvas.line(prev[0], prev[1], x, y, COLORS[s.path], 3);
        else canvas.dashed(prev[0], prev[1], x, y, COLORS[s.path], 6);
      }
      marker(canvas, x, y, s.k === "p50" ? COLORS[s.path] : mix(COLORS[s.path], 0.4));
    });
  }
}

function drawOpenLoop(canvas: Canvas, rows: Rows, box: Box): void {
  const lo = 0.1;
  const hi = 10_000;
  axes(canvas, box, "PER-TOKEN LATENCY (MS)", "STREAMS X TOKENS/S");
  canvas.text(box.left + 8, box.top + 6, "P50 LIGHT, P99 DARK", GREY, 1);
  logGridY(canvas, box, lo, hi, (v) => (v >= 1000 ? `${v / 1000} S` : `${v}`));
  const groups = groupSpread(rows.openLoop, (r) => r.load, (r) => r.latency.p50);
  const loads = [...new Set(groups.map((g) => g.key as string))];
  const paths = (["direct", "nginx", "gateway"] as const).filter((p) => groups.some((g) => g.path === p));
  const slot = (box.right - box.left) / Math.max(1, loads.length);
  const bar = Math.min(26, (slot - 30) / Math.max(1, paths.length * 2));
  loads.forEach((load, li) => {
    const center = box.left + slot * (li + 0.5);
    canvas.text(center, box.bottom + 10, load.replace("x", " X "), BLACK, 2, "center");
    paths.forEach((path, pi) => {
      const g = groups.find((x) => x.key === load && x.path === path);
      if (g === undefined) return;
      const p50 = spread(g.rows.map((r) => r.latency.p50)).median;
      const p99 = spread(g.rows.map((r) => r.latency.p99)).median;
      [p50, p99].forEach((v, b) => {
        if (!Number.isFinite(v)) return;
        const x = center + (pi * 2 + b - paths.length) * bar;
        const top = log(v, lo, hi, box.bottom, box.top);
        canvas.fillRect(x + 1, top, bar - 2, box.bottom - 1 - top, b === 0 ? mix(COLORS[path], 0.5) : COLORS[path]);
        canvas.text(x + bar / 2, top - 12, v >= 100 ? v.toFixed(0) : v.toFixed(1), BLACK, 1, "center");
      });
    });
  });
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** Renders the chart of one run. */
export function renderRelayPlot(rows: Rows, title: string, subtitle: string): Buffer {
  const canvas = new Canvas(1560, 660);
  canvas.text(780, 14, title, BLACK, 3, "center");
  canvas.text(780, 44, subtitle, GREY, 2, "center");
  drawSaturation(canvas, rows, { left: 90, right: 500, top: 120, bottom: 540 });
  drawTtft(canvas, rows, { left: 600, right: 1000, top: 120, bottom: 540 });
  drawOpenLoop(canvas, rows, { left: 1100, right: 1520, top: 120, bottom: 540 });
  const present = (["direct", "ceiling", "nginx", "gateway", "gateway-full"] as const).filter(
    (p) => rows.saturation.some((r) => r.path === p) || rows.ttft.some((r) => r.path === p) || rows.openLoop.some((r) => r.path === p),
  );
  legend(canvas, 90, 610, present);
  return canvas.toPng();
}
