/**
 * One Ollama pull progress stream out of the gateway's per-backend one.
 *
 * PullModel relays every backend's progress messages interleaved, each
 * labelled with its backend; an Ollama client expects a single sequence
 * (`pulling manifest`, `pulling <digest>` with byte counts, `verifying sha256
 * digest`, `writing manifest`, `success`) and stops at `success` or at an
 * `{"error": ...}` line. So:
 * - a stage (a status without a digest) is written once, when every backend
 *   still pulling has reached it (or finished), so the stages keep their
 *   order even when one backend is ahead;
 * - a layer line is written on every update of any backend, with `total`
 *   and `completed` summed over the backends that reported that layer, so a
 *   progress bar shows the fleet's progress;
 * - the last line ({@link PullProgress.final}) is `{"status":"success"}` when
 *   every backend succeeded, otherwise `{"error": ...}` with the first
 *   failure, once all backends have ended (the others are left to finish
 *   their pull rather than aborted by the client leaving at the error).
 * The backends' own "success" lines and failures are therefore never written
 * as they arrive.
 */
import type { PullModelResponse } from "../../../gen/ollama/v1/ollama.js";
import { encodeGoJson } from "../../ollama/go-json.js";

/** What one backend's pull has done so far. */
interface BackendPull {
  seen: Set<string>;
  state: "running" | "succeeded" | "failed";
}

/** The last figures a backend reported for one layer. */
interface LayerFigures {
  total: number;
  completed: number;
}

/** Folds PullModel messages into Ollama progress lines. Use one per call. */
export class PullProgress {
  #backends = new Map<string, BackendPull>();
  #stages: string[] = [];
  #written = new Set<string>();
  #layers = new Map<string, Map<string, LayerFigures>>();
  #failure: { backend: string; error: string } | undefined;

  /**
   * Takes the next PullModel message and returns the lines to write now,
   * each ending in "\n" (often none, sometimes several).
   */
  lines(message: PullModelResponse): string[] {
    const backend = this.#backend(message.backend);
    if (message.error !== "") {
      backend.state = "failed";
      this.#failure ??= { backend: message.backend, error: message.error };
      return this.#readyStages();
    }
    if (message.done) {
      backend.state = "succeeded";
      return this.#readyStages();
    }
    if (message.digest !== "") return [...this.#readyStages(), this.#layerLine(message)];
    backend.seen.add(message.status);
    if (!this.#stages.includes(message.status)) this.#stages.push(message.status);
    return this.#readyStages();
  }

  /** Whether a backend reported a failure (then `final()` is that failure, in Ollama's words). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * The last line (no newline) once the PullModel stream has ended, which is
   * also the whole `"stream": false` body: `ok` when every backend succeeded.
   */
  final(): { ok: boolean; json: string } {
    if (this.#failure !== undefined) {
      const { backend, error } = this.#failure;
      // With one backend the text is Ollama's own; with several, say which one failed.
      return { ok: false, json: encodeGoJson({ error: this.#backends.size > 1 ? `${backend}: ${error}` : error }) };
    }
    if (this.#backends.size === 0) return { ok: false, json: encodeGoJson({ error: "no backend reported any progress" }) };
    return { ok: true, json: encodeGoJson({ status: "success" }) };
  }

  #backend(name: string): BackendPull {
    let backend = this.#backends.get(name);
    if (backend === undefined) {
      backend = { seen: new Set(), state: "running" };
      this.#backends.set(name, backend);
    }
    return backend;
  }

  /** Stages every running backend has reached, in order, not written yet. */
  #readyStages(): string[] {
    const lines: string[] = [];
    for (const stage of this.#stages) {
      if (this.#written.has(stage)) continue;
      const reached = [...this.#backends.values()].every((backend) => backend.state !== "running" || backend.seen.has(stage));
      if (!reached) break;
      this.#written.add(stage);
      lines.push(`${encodeGoJson({ status: stage })}\n`);
    }
    return lines;
  }

  /** api.ProgressResponse for a layer: status, digest, then total and completed (omitted when 0). */
  #layerLine(message: PullModelResponse): string {
    let layer = this.#layers.get(message.digest);
    if (layer === undefined) {
      layer = new Map();
      this.#layers.set(message.digest, layer);
    }
    layer.set(message.backend, { total: message.total, completed: message.completed });
    let total = 0;
    let completed = 0;
    for (const figures of layer.values()) {
      total += figures.total;
      completed += figures.completed;
    }
    const out: Record<string, unknown> = { status: message.status, digest: message.digest };
    if (total !== 0) out.total = total;
    if (completed !== 0) out.completed = completed;
    return `${encodeGoJson(out)}\n`;
  }
}
