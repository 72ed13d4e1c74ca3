/**
 * POST /v1/embeddings body -> EmbedRequest, following Ollama's
 * EmbeddingsMiddleware: `input` is a string or an array of strings (an empty
 * string embeds "", an empty or missing input is `invalid input`),
 * `encoding_format` is float (default) or base64, and `dimensions` 0 means
 * unset.
 */
import { EmbedRequest } from "../../../gen/ollama/v1/ollama.js";
import { Fields, InvalidRequestError, parseBody } from "./json-fields.js";
import { runParser, type ParseResult } from "./parse-result.js";

/** How the vectors are written: JSON numbers, or base64 of little-endian float32. */
export type EncodingFormat = "float" | "base64";

/** A parsed embeddings request. */
export interface ParsedEmbeddings {
  request: EmbedRequest;
  encodingFormat: EncodingFormat;
}

const STRUCT = "EmbedRequest";

/** Parses an embeddings body. Failures are 400s in OpenAI's shape, with Ollama's messages. */
export function parseEmbeddingsRequest(body: string): ParseResult<ParsedEmbeddings> {
  return runParser(() => {
    const fields = new Fields(parseBody(body, `openai.${STRUCT}`), STRUCT);
    const model = fields.string("model") ?? "";
    const format = fields.string("encoding_format") ?? "";
    if (format !== "" && !/^(float|base64)$/i.test(format)) {
      throw new InvalidRequestError(`Invalid value for 'encoding_format' = ${format}. Supported values: ['float', 'base64'].`);
    }
    const dimensions = fields.int32("dimensions") ?? 0;
    const request = EmbedRequest.fromPartial({
      model,
      input: readInput(fields.raw("input")),
      dimensions: dimensions === 0 ? undefined : dimensions,
    });
    return { request, encodingFormat: format.toLowerCase() === "base64" ? "base64" : "float" };
  });
}

/**
 * `input`: one string or a non-empty array of strings. Token arrays, which
 * OpenAI also accepts, are refused as Ollama's embed handler refuses them.
 */
function readInput(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (input === undefined || (Array.isArray(input) && input.length === 0)) throw new InvalidRequestError("invalid input");
  if (Array.isArray(input) && input.every((entry): entry is string => typeof entry === "string")) return input;
  throw new InvalidRequestError("invalid input type");
}
