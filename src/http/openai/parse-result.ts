/**
 * The result type of the /v1 request parsers, and the one place that turns a
 * parser's InvalidRequestError into a 400 answer.
 */
import { openAiFailure, type OpenAiFailure } from "./errors.js";
import { InvalidRequestError } from "./json-fields.js";

/** A parsed request (`ok: true` plus the endpoint's fields) or the 4xx answer to send instead. */
export type ParseResult<T> = ({ ok: true } & T) | ({ ok: false } & OpenAiFailure);

/** Runs a parser; an InvalidRequestError becomes a 400 `invalid_request_error`, anything else propagates. */
export function runParser<T>(parse: () => T): ParseResult<T> {
  try {
    return { ok: true, ...parse() };
  } catch (error) {
    if (error instanceof InvalidRequestError) return { ok: false, ...openAiFailure(400, error.message) };
    throw error;
  }
}
