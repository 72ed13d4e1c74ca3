/**
 * POST /api/pull: a progress stream shaped like Ollama's (`pulling manifest`,
 * `pulling <12 hex>` with digest/total/completed, `verifying sha256 digest`,
 * `writing manifest`, `success`). Every valid name succeeds; an unknown one
 * is installed as a completion model. `stream:false` returns only the last
 * object, as `application/json` (what `waitForStream` sets).
 */
import { createHash } from "node:crypto";
import { playChunks } from "../chunk-responder.js";
import type { ChunkSource } from "../chunk-responder.js";
import { bindBody, requestSettings, text, throwStatusFault } from "../inference.js";
import { defaultSizeBytes } from "../model-catalogue.js";
import type { CatalogueEntry, ModelCatalogue } from "../model-catalogue.js";
import { modelKey, parseModelName, shortModelName } from "../model-name.js";
import { PULL_REQUEST } from "../../ollama/request-specs.js";
import { HttpError } from "../route-context.js";
import type { RouteContext } from "../route-context.js";
import { STREAM_ERROR_CONTENT_TYPE } from "../wire.js";

/** Handles POST /api/pull. */
export async function handlePull(ctx: RouteContext): Promise<void> {
  const req = bindBody(ctx, PULL_REQUEST);
  const raw = text(req.model) || text(req.name);
  const parsed = parseModelName(raw);
  const key = modelKey(raw);
  if (parsed === undefined || key === undefined) throw new HttpError(400, "invalid model name");
  const stream = req.stream !== false;
  const settings = requestSettings(ctx, key);
  throwStatusFault(settings.fault, stream);
  const name = shortModelName(parsed);
  const source = new PullProgress(ctx.core.catalogue, ctx.core.catalogue.find(name), name);
  await playChunks(
    {
      ...settings,
      res: ctx.res,
      signal: ctx.signal,
      tracker: ctx.tracker,
      stream,
      aggregateContentType: STREAM_ERROR_CONTENT_TYPE,
    },
    source,
  );
}

/** The progress lines; the model is installed when "writing manifest" is emitted. */
class PullProgress implements ChunkSource {
  #lines: Array<Record<string, unknown>>;
  #catalogue: ModelCatalogue;
  #existing: CatalogueEntry | undefined;
  #name: string;

  constructor(catalogue: ModelCatalogue, existing: CatalogueEntry | undefined, name: string) {
    this.#catalogue = catalogue;
    this.#existing = existing;
    this.#name = name;
    const modelDigest = existing?.digest ?? sha256(name);
    const layers: Array<[string, number]> = [
      [modelDigest, existing?.sizeBytes ?? defaultSizeBytes(modelDigest)],
      [sha256(`${name}/template`), 1_429],
      [sha256(`${name}/params`), 96],
    ];
    this.#lines = [{ status: "pulling manifest" }];
    for (const [digest, total] of layers) {
      const status = `pulling ${digest.slice(0, 12)}`;
      // `completed` is omitempty, so the first progress line of a layer has none.
      this.#lines.push({ status, digest: `sha256:${digest}`, total });
      this.#lines.push({ status, digest: `sha256:${digest}`, total, completed: Math.floor(total / 2) });
      this.#lines.push({ status, digest: `sha256:${digest}`, total, completed: total });
    }
    this.#lines.push({ status: "verifying sha256 digest" }, { status: "writing manifest" });
  }

  get count(): number {
    return this.#lines.length;
  }

  chunk(index: number): unknown {
    const line = this.#lines[index];
    if (line?.status === "writing manifest" && this.#existing === undefined) {
      this.#existing = this.#catalogue.add({ name: this.#name, capabilities: ["completion"] }, new Date());
    }
    return line;
  }

  final(): unknown {
    return { status: "success" };
  }

  aggregate(): unknown {
    return { status: "success" };
  }

  unfinished(): unknown {
    return this.#lines.at(-1);
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
