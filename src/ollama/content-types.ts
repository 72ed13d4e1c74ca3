/**
 * The content types Ollama's server (gin on Go's net/http) answers with, for
 * everyone who writes Ollama's responses: the simulator and the gateway's
 * Ollama-compatible door.
 */

/** gin's `c.JSON` bodies. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
/**
 * What Ollama's `streamResponse` and `waitForStream` set before writing one
 * JSON object (an error before the first line, a pull with `"stream": false`):
 * gin then keeps it, without the charset.
 */
export const STREAM_ERROR_CONTENT_TYPE = "application/json";
/** NDJSON streams. */
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";
