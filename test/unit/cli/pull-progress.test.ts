/**
 * The pull display without a terminal: plain log lines only on status
 * changes, the in-place frame (bars, percent, width), the redraw escapes and
 * the final summary.
 */
import { describe, expect, it } from "vitest";
import type { PullModelResponse } from "../../../gen/ollama/v1/ollama.js";
import { PullProgressView, redrawLines } from "../../../src/cli/pull-command.js";

function msg(backend: string, status: string, extra: Partial<PullModelResponse> = {}): PullModelResponse {
  return { backend, status, digest: "", total: 0, completed: 0, done: false, error: "", ...extra };
}

const LAYER = "pulling d146c3e4e126";

describe("PullProgressView.apply (plain lines)", () => {
  it("logs one line per status change, none for byte updates", () => {
    const view = new PullProgressView();
    const lines = [
      msg("b1", "pulling manifest"),
      msg("b1", LAYER, { total: 4_500_000_000 }),
      msg("b1", LAYER, { total: 4_500_000_000, completed: 2_250_000_000 }),
      msg("b1", LAYER, { total: 4_500_000_000, completed: 4_500_000_000 }),
      msg("b1", "verifying sha256 digest"),
      msg("b1", "success", { done: true }),
    ].flatMap((m) => view.apply(m));
    expect(lines).toEqual(["b1: pulling manifest", `b1: ${LAYER} (4.5 GB)`, "b1: verifying sha256 digest", "b1: success"]);
  });

  it("tracks backends separately and reports an error message as a failure", () => {
    const view = new PullProgressView();
    expect(view.apply(msg("b1", "pulling manifest"))).toEqual(["b1: pulling manifest"]);
    expect(view.apply(msg("b2", "pulling manifest"))).toEqual(["b2: pulling manifest"]);
    expect(view.apply(msg("b2", "error", { error: "runner crashed" }))).toEqual(["b2: failed: runner crashed"]);
    expect(view.apply(msg("b1", "pulling manifest"))).toEqual([]);
    expect(view.backends()).toEqual(["b1", "b2"]);
  });
});

describe("PullProgressView.allSucceeded", () => {
  it.each([
    ["no message at all", [], false],
    ["every backend done", [msg("b1", "success", { done: true }), msg("b2", "success", { done: true })], true],
    ["one failed", [msg("b1", "success", { done: true }), msg("b2", "error", { error: "x" })], false],
    ["one still running", [msg("b1", "success", { done: true }), msg("b2", LAYER, { total: 10, completed: 5 })], false],
  ] as const)("%s -> %s", (_name, messages, expected) => {
    const view = new PullProgressView();
    for (const m of messages) view.apply(m);
    expect(view.allSucceeded()).toBe(expected);
  });
});

describe("PullProgressView.frame (in place)", () => {
  it("draws one line per backend in order of first appearance, names aligned, bar and percent for a layer", () => {
    const view = new PullProgressView();
    view.apply(msg("gpu-a", LAYER, { total: 4_000_000_000, completed: 1_000_000_000 }));
    view.apply(msg("b2", "verifying sha256 digest"));
    view.apply(msg("long-name", "success", { done: true }));
    view.apply(msg("b4", "error", { error: "connection refused" }));
    const frame = view.frame(80);
    expect(frame).toHaveLength(4);
    expect(frame[0]).toMatch(/^gpu-a {6}pulling d146c3e4e126 {2}█+░+ {3}25% {2}1\.0 GB\/4\.0 GB$/);
    expect(frame[1]).toBe("b2         verifying sha256 digest");
    expect(frame[2]).toBe("long-name  success");
    expect(frame[3]).toBe("b4         failed: connection refused");
    expect(frame.every((line) => line.length <= 79)).toBe(true);
  });

  it.each([
    [0, 1_000, "0%", 0],
    [500, 1_000, "50%", 0.5],
    [1_000, 1_000, "100%", 1],
  ])("%i of %i bytes -> %s with a proportional bar", (completed, total, percent, fraction) => {
    const view = new PullProgressView();
    view.apply(msg("b1", LAYER, { total, completed }));
    const line = view.frame(120)[0]!;
    expect(line).toContain(` ${percent}  `);
    const filled = (line.match(/█/g) ?? []).length;
    const empty = (line.match(/░/g) ?? []).length;
    expect(filled + empty).toBe(30);
    expect(filled).toBe(Math.floor(fraction * 30));
  });

  it("never draws a line as wide as the terminal: narrow terminals lose the bar, then get cut", () => {
    const view = new PullProgressView();
    view.apply(msg("b1", LAYER, { total: 1_000, completed: 10 }));
    view.apply(msg("b2", "error", { error: "x".repeat(200) }));
    expect(view.frame(60)[0]).toMatch(/ {2}░{14} {2}/);
    expect(view.frame(50)[0]).toBe("b1  pulling d146c3e4e126    1%  10 B/1.0 KB");
    expect(view.frame(40)[0]).toBe("b1  pulling d146c3e4e126    1%  10 B/1…");
    for (const width of [20, 40, 50, 60]) {
      for (const line of view.frame(width)) expect(line.length).toBeLessThan(width);
    }
  });
});

describe("redrawLines", () => {
  it.each([
    ["first draw", 0, ["a", "b"], "\r\x1b[2Ka\n\r\x1b[2Kb\n"],
    ["same height", 2, ["a", "b"], "\x1b[2A\r\x1b[2Ka\n\r\x1b[2Kb\n"],
    ["a backend appeared", 1, ["a", "b"], "\x1b[1A\r\x1b[2Ka\n\r\x1b[2Kb\n"],
    ["fewer lines: the rest cleared, cursor below the new frame", 3, ["a"], "\x1b[3A\r\x1b[2Ka\n\r\x1b[2K\n\r\x1b[2K\n\x1b[2A"],
  ])("%s", (_name, previous, lines, expected) => {
    expect(redrawLines(previous, lines)).toBe(expected);
  });
});

describe("PullProgressView.summary", () => {
  it("lists every backend by name with its outcome, then the count", () => {
    const view = new PullProgressView();
    view.apply(msg("b3", "success", { done: true }));
    view.apply(msg("b1", "success", { done: true }));
    view.apply(msg("b2", "error", { error: "model runner has unexpectedly stopped" }));
    view.apply(msg("b4", LAYER, { total: 10, completed: 1 }));
    expect(view.summary("mistral")).toBe(
      [
        "BACKEND  RESULT",
        "b1       ok",
        "b2       failed: model runner has unexpectedly stopped",
        "b3       ok",
        "b4       interrupted",
        "pulled mistral on 2/4 backends; failed on b2, b4",
        "",
      ].join("\n"),
    );
  });
});
