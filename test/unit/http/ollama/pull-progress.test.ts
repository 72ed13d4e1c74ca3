/**
 * PullProgress turns the gateway's interleaved per-backend pull messages
 * into the single progress sequence an Ollama client reads, ending in
 * `success` only when every backend succeeded.
 */
import { describe, expect, it } from "vitest";
import type { PullModelResponse } from "../../../../gen/ollama/v1/ollama.js";
import { PullProgress } from "../../../../src/http/ollama/index.js";

const DIGEST = "sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa";

function msg(backend: string, status: string, extra: Partial<PullModelResponse> = {}): PullModelResponse {
  return { backend, status, digest: "", total: 0, completed: 0, done: false, error: "", ...extra };
}
const layer = (backend: string, completed: number) => msg(backend, "pulling 6a0746a1ec1a", { digest: DIGEST, total: 100, completed });
const success = (backend: string) => msg(backend, "success", { done: true });
const failed = (backend: string, error: string) => msg(backend, "error", { error });

/** Feeds the messages; returns every line written, then the final one. */
function play(messages: PullModelResponse[]): { lines: string[]; final: { ok: boolean; json: string } } {
  const progress = new PullProgress();
  const lines = messages.flatMap((message) => progress.lines(message));
  for (const line of lines) expect(line.endsWith("\n")).toBe(true);
  return { lines: lines.map((line) => line.trimEnd()), final: progress.final() };
}

describe("PullProgress", () => {
  it("one backend: Ollama's own sequence", () => {
    const { lines, final } = play([
      msg("b1", "pulling manifest"),
      layer("b1", 0),
      layer("b1", 50),
      layer("b1", 100),
      msg("b1", "verifying sha256 digest"),
      msg("b1", "writing manifest"),
      success("b1"),
    ]);
    expect(lines).toEqual([
      '{"status":"pulling manifest"}',
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":100}`,
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":100,"completed":50}`,
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":100,"completed":100}`,
      '{"status":"verifying sha256 digest"}',
      '{"status":"writing manifest"}',
    ]);
    expect(final).toEqual({ ok: true, json: '{"status":"success"}' });
  });

  it("two backends: layer bytes are summed, a stage waits for the slower backend", () => {
    const { lines, final } = play([
      msg("b1", "pulling manifest"),
      msg("b2", "pulling manifest"),
      layer("b1", 100),
      msg("b1", "verifying sha256 digest"),
      layer("b2", 40),
      msg("b1", "writing manifest"),
      success("b1"),
      layer("b2", 100),
      msg("b2", "verifying sha256 digest"),
      msg("b2", "writing manifest"),
      success("b2"),
    ]);
    expect(lines).toEqual([
      '{"status":"pulling manifest"}',
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":100,"completed":100}`,
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":200,"completed":140}`,
      `{"status":"pulling 6a0746a1ec1a","digest":"${DIGEST}","total":200,"completed":200}`,
      '{"status":"verifying sha256 digest"}',
      '{"status":"writing manifest"}',
    ]);
    expect(final.ok).toBe(true);
  });

  it("a stage only one backend goes through is written once the others are done", () => {
    const { lines } = play([msg("b1", "pulling manifest"), msg("b2", "pulling manifest"), msg("b1", "removing unused layers"), success("b1")]);
    expect(lines).toEqual(['{"status":"pulling manifest"}']);
    const progress = new PullProgress();
    for (const m of [msg("b1", "pulling manifest"), msg("b2", "pulling manifest"), msg("b1", "removing unused layers")]) progress.lines(m);
    expect(progress.lines(success("b2"))).toEqual(['{"status":"removing unused layers"}\n']);
  });

  it("a failure ends the sequence with an error, after the other backends finished", () => {
    const { lines, final } = play([
      msg("b1", "pulling manifest"),
      msg("b2", "pulling manifest"),
      failed("b2", "pull model manifest: file does not exist"),
      msg("b1", "writing manifest"),
      success("b1"),
    ]);
    expect(lines).toEqual(['{"status":"pulling manifest"}', '{"status":"writing manifest"}']);
    expect(final).toEqual({ ok: false, json: '{"error":"b2: pull model manifest: file does not exist"}' });
  });

  it("with a single backend the error text is Ollama's own", () => {
    const { lines, final } = play([msg("b1", "pulling manifest"), failed("b1", "pull model manifest: file does not exist")]);
    expect(lines).toEqual(['{"status":"pulling manifest"}']);
    expect(final).toEqual({ ok: false, json: '{"error":"pull model manifest: file does not exist"}' });
  });

  it("no message at all is not a success", () => {
    expect(new PullProgress().final().ok).toBe(false);
  });
});
