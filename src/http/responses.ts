/**
 * Small writers shared by the doors: complete JSON bodies the way Ollama's
 * gin writes them (`application/json; charset=utf-8`, Content-Length), and
 * the status of a failed call (with Retry-After when a retry is advised).
 */
import type { ServerResponse } from "node:http";
import { JSON_CONTENT_TYPE } from "../ollama/content-types.js";

/** Writes a complete JSON body (already serialized); returns the status. `headers` may override the content type. */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): number {
  if (res.headersSent || res.destroyed) return status;
  res.writeHead(status, { "Content-Type": JSON_CONTENT_TYPE, ...headers, "Content-Length": String(Buffer.byteLength(body)) });
  res.end(res.req?.method === "HEAD" ? undefined : body);
  return status;
}

/** Headers of a failure: Retry-After when the gateway advises a delay. */
export function failureHeaders(retryAfterSeconds: number | undefined): Record<string, string> {
  return retryAfterSeconds === undefined ? {} : { "Retry-After": String(retryAfterSeconds) };
}
