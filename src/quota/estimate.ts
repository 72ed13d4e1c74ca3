/**
 * The input-token estimate charged when a call is admitted, before Ollama
 * has counted anything (it reports prompt_eval_count only at the end): about
 * four characters of text per token, the usual rule of thumb for
 * BPE tokenizers on English text. Settlement replaces it with Ollama's count
 * when the call completes, so the estimate only decides admission and what a
 * cut-off stream is charged. Images count a fixed amount each (vision models
 * turn one image into hundreds of tokens).
 */

/** Characters per token assumed by the estimate. */
export const CHARS_PER_TOKEN = 4;
/** Tokens assumed per image. */
export const TOKENS_PER_IMAGE = 256;
/** Fields that name things rather than carry text to the model. */
const SKIPPED_FIELDS = new Set(["model", "keepAlive", "format"]);
/** Depth bound of the walk (requests are shallow; this only guards against cycles). */
const MAX_DEPTH = 8;

/** Estimated input tokens of a request message (any shape: walks its strings and byte arrays). */
export function estimateInputTokens(request: unknown): number {
  const totals = { chars: 0, images: 0 };
  walk(request, totals, 0);
  return Math.ceil(totals.chars / CHARS_PER_TOKEN) + totals.images * TOKENS_PER_IMAGE;
}

function walk(value: unknown, totals: { chars: number; images: number }, depth: number): void {
  if (typeof value === "string") {
    totals.chars += value.length;
    return;
  }
  if (value instanceof Uint8Array) {
    if (value.length > 0) totals.images += 1;
    return;
  }
  if (typeof value !== "object" || value === null || depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, totals, depth + 1);
    return;
  }
  for (const [key, field] of Object.entries(value)) {
    if (!SKIPPED_FIELDS.has(key)) walk(field, totals, depth + 1);
  }
}
