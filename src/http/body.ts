/**
 * Reading a request body with a size cap. The cap protects the process: a
 * body over it is refused with 413 as soon as the excess arrives (or from
 * Content-Length, before reading anything), not buffered first.
 */
import type { IncomingMessage } from "node:http";

/** Thrown when a body exceeds the cap. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body too large: the limit is ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/** The body as UTF-8 text; rejects with BodyTooLargeError, or the stream's error (client gone). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
