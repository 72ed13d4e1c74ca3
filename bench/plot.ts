/**
 * The scheduling benchmark's chart, as a PNG: TTFT p50/p90/p99 bars per
 * policy (log scale) on the left, the TTFT distribution (CDF, log scale)
 * per policy on the right. Requests without a first token (failed, timed
 * out) count as infinitely slow, so a CDF that stops short of 100 % shows them.
 */
import { Canvas, type Rgb } from "./png.js";

export interface PlotSeries {
  readonly policy: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Every request's TTFT in ms; Infinity when it got no first token. */
  readonly ttftMs: readonly number[];
}

const BLACK: Rgb = [20, 20, 20];
const GREY: Rgb = [120, 120, 120];
const GRID: Rgb = [225, 225, 225];
const PALETTE: readonly Rgb[] = [
  [214, 39, 40], // red
  [255, 127, 14], // orange
  [31, 119, 180], // blue
  [44, 160, 44],
  [148, 103, 189],
];
/** Lightness of the p50, p90, p99 bars: mixed with white by this share. */
const SHADES = [0.55, 0.25, 0] as const;

const MIN_MS = 10;
const MAX_MS = 30_000;

function mix(color: Rgb, white: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(color[i]! + (255 - color[i]!) * white)) as unknown as Rgb;
}

function logPos(ms: number, from: number, to: number): number {
  const clamped = Math.min(MAX_MS, Math.max(MIN_MS, ms));
  return from + ((to - from) * (Math.log10(clamped) - Math.log10(MIN_MS))) / (Math.log10(MAX_MS) - Math.log10(MIN_MS));
}

/** A bar's value label. */
function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "NO ANSWER";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} S`;
  return `${Math.round(ms)}`;
}

/** An axis label for a power of ten. */
function formatTick(ms: number): string {
  return ms >= 1_000 ? `${ms / 1_000} S` : `${ms}`;
}

/** Renders the chart. */
export function renderPlot(series: readonly PlotSeries[], title: string, subtitle: string): Buffer {
  const canvas = new Canvas(1280, 640);
  canvas.text(640, 16, title, BLACK, 3, "center");
  canvas.text(640, 48, subtitle, GREY, 2, "center");
  drawBars(canvas, series, { left: 90, right: 600, top: 120, bottom: 520 });
  drawCdf(canvas, series, { left: 730, right: 1250, top: 120, bottom: 520 });
  return canvas.toPng();
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function decadeAxis(canvas: Canvas, box: Box, vertical: boolean): void {
  for (let decade = MIN_MS; decade <= MAX_MS; decade *= 10) {
    for (let k = 1; k < 10; k++) {
      const ms = decade * k;
      if (ms > MAX_MS) break;
      if (vertical) {
        const y = logPos(ms, box.bottom, box.top);
        if (k === 1) canvas.line(box.left, y, box.right, y, GRID);
        canvas.line(box.left - (k === 1 ? 6 : 3), y, box.left, y, GREY);
        if (k === 1) canvas.text(box.left - 10, y - 7, formatTick(ms), BLACK, 2, "right");
      } else {
        const x = logPos(ms, box.left, box.right);
        if (k === 1) canvas.line(x, box.top, x, box.bottom, GRID);
        canvas.line(x, box.bottom, x, box.bottom + (k === 1 ? 6 : 3), GREY);
        if (k === 1) canvas.text(x, box.bottom + 12, formatTick(ms), BLACK, 2, "center");
      }
    }
  }
}

function drawBars(canvas: Canvas, series: readonly PlotSeries[], box: Box): void {
  decadeAxis(canvas, box, true);
  canvas.line(box.left, box.top, box.left, box.bottom, BLACK, 2);
  canvas.line(box.left, box.bottom, box.right, box.bottom, BLACK, 2);
  canvas.textVertical(box.left - 80, (box.top + box.bottom) / 2, "TTFT (LOG SCALE)", BLACK, 2);
  canvas.text((box.left + box.right) / 2, box.top - 30, "TTFT P50 / P90 / P99", BLACK, 2, "center");
  const groupWidth = (box.right - box.left) / Math.max(1, series.length);
  const barWidth = Math.min(44, (groupWidth - 30) / 3);
  series.forEach((s, g) => {
    const color = PALETTE[g % PALETTE.length]!;
    const center = box.left + groupWidth * (g + 0.5);
    const values = [s.p50, s.p90, s.p99];
    values.forEach((value, b) => {
      const x = center + (b - 1.5) * barWidth;
      const top = Number.isFinite(value) ? logPos(value, box.bottom, box.top) : box.top;
      canvas.fillRect(x + 1, top, barWidth - 2, box.bottom - 1 - top, mix(color, SHADES[b]!));
      canvas.text(x + barWidth / 2, top - 12, formatMs(value), BLACK, 1, "center");
    });
    canvas.text(center, box.bottom + 14, s.policy, color, 2, "center");
  });
  // Legend of the shades, with the first policy's colour.
  const base: Rgb = [90, 90, 90];
  ["P50", "P90", "P99"].forEach((label, b) => {
    const x = box.left + 20 + b * 90;
    canvas.fillRect(x, box.bottom + 44, 16, 16, mix(base, SHADES[b]!));
    canvas.text(x + 22, box.bottom + 46, label, BLACK, 2);
  });
}

function drawCdf(canvas: Canvas, series: readonly PlotSeries[], box: Box): void {
  decadeAxis(canvas, box, false);
  for (let pct = 0; pct <= 100; pct += 10) {
    const y = box.bottom - ((box.bottom - box.top) * pct) / 100;
    canvas.line(box.left, y, box.right, y, pct === 50 || pct === 90 ? [200, 200, 200] : GRID);
    if (pct % 20 === 0 || pct === 90) canvas.text(box.left - 10, y - 7, `${pct}%`, BLACK, 2, "right");
  }
  canvas.line(box.left, box.top, box.left, box.bottom, BLACK, 2);
  canvas.line(box.left, box.bottom, box.right, box.bottom, BLACK, 2);
  canvas.text((box.left + box.right) / 2, box.top - 30, "SHARE OF REQUESTS WITH TTFT <= X", BLACK, 2, "center");
  canvas.text((box.left + box.right) / 2, box.bottom + 34, "TTFT (LOG SCALE)", BLACK, 2, "center");
  series.forEach((s, g) => {
    const color = PALETTE[g % PALETTE.length]!;
    const sorted = [...s.ttftMs].sort((a, b) => a - b);
    const n = sorted.length;
    let prevX = box.left;
    let prevY = box.bottom;
    sorted.forEach((ms, i) => {
      if (!Number.isFinite(ms)) return;
      const x = logPos(ms, box.left, box.right);
      const y = box.bottom - ((box.bottom - box.top) * (i + 1)) / n;
      canvas.line(prevX, prevY, x, prevY, color, 3); // step: horizontal, then up
      canvas.line(x, prevY, x, y, color, 3);
      prevX = x;
      prevY = y;
    });
  });
  // Legend under the axis title, one entry per policy.
  let lx = box.left;
  series.forEach((s, g) => {
    const color = PALETTE[g % PALETTE.length]!;
    const ly = box.bottom + 70;
    canvas.fillRect(lx, ly, 24, 6, color);
    canvas.text(lx + 30, ly - 4, s.policy, color, 2);
    lx += 30 + Canvas.textWidth(s.policy, 2) + 30;
  });
}
