/**
 * Answering a streaming call over HTTP, the same way for both doors. The
 * formats differ (NDJSON lines, SSE events) and so does the failure shape;
 * the rules do not:
 * - headers go out with the first frame, so a failure before it still gets
 *   its own status and body (`fail`), as with Ollama;
 * - every message becomes zero or more frames, confirmed to the relay once
 *   written (back-pressure), the frames of one upstream read coalesced into
 *   one socket write (FrameWriter);
 * - a failure after the first frame is written as the format's error frame,
 *   then the body ends; a client that went away gets nothing more.
 */
import type { Exchange } from "./front-door-server.js";
import { drainMessages, FrameWriter } from "./message-sink.js";

/** How one door writes one streaming answer. */
export interface FrameFormat<T> {
  /** Response headers sent with the first frame (the content type at least). */
  headers: Record<string, string>;
  /** The frames of one message, in order (none is fine). */
  frames(message: T): readonly string[];
  /** Frames after the last message (e.g. a closing line), if any. */
  end?(): readonly string[];
  /** The frames that report a failure after the stream started. */
  failure(error: unknown): readonly string[];
  /** Answers a failure before anything was sent; returns the status. */
  fail(error: unknown): number;
}

/** Streams `items` (a streaming call's output) as frames; resolves with the status answered. */
export async function streamFrames<T>(x: Exchange, items: AsyncIterable<unknown>, format: FrameFormat<T>): Promise<number> {
  const frames = new FrameWriter(x.res);
  const start = (): void => {
    if (!x.res.headersSent) x.res.writeHead(200, format.headers);
  };
  const writeAll = (texts: readonly string[], written?: () => void): void => {
    if (texts.length === 0) return written?.();
    start();
    for (let i = 0; i < texts.length - 1; i++) frames.write(texts[i] as string);
    frames.write(texts[texts.length - 1] as string, written);
  };
  try {
    await drainMessages<T>(items, (message, written) => writeAll(format.frames(message), written));
    if (format.end !== undefined) writeAll(format.end());
  } catch (error) {
    if (!x.res.headersSent) return format.fail(error);
    if (x.call.signal.aborted) return 499; // the client left: nobody to tell
    writeAll(format.failure(error));
  }
  start();
  x.res.end();
  return 200;
}

/** Collects a streaming call's messages into `add` (the `"stream": false` answers); rejects with the call's error. */
export function collectMessages<T>(items: AsyncIterable<unknown>, add: (message: T) => void): Promise<void> {
  return drainMessages<T>(items, (message, written) => {
    add(message);
    written();
  });
}
