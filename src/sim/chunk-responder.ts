/**
 * Plays a sequence of chunks to the client: paced, streamed or collected, and
 * with the request's fault applied. Shared by generate, chat and pull so that
 * a fault behaves the same on every streaming route.
 */
import { RUNNER_CRASH_MESSAGE } from "./faults.js";
import type { FaultSpec } from "./options.js";
import { sleep, untilAborted } from "./sleep.js";
import type { RequestTracker } from "./stats.js";
import { JSON_CONTENT_TYPE, NdjsonWriter, STREAM_ERROR_CONTENT_TYPE, writeError, writeJson } from "./wire.js";
import type { ServerResponse } from "node:http";

/** Produces the objects to send. Chunk objects are built at emission time (fresh `created_at`). */
export interface ChunkSource {
  /** Number of non-final chunks. */
  readonly count: number;
  /** Builds chunk `index`; called once per index, in order, also when not streaming. */
  chunk(index: number): unknown;
  /** The last streamed line (`done:true`, or pull's `success`). */
  final(): unknown;
  /** The single `stream:false` body, built after every chunk. */
  aggregate(): unknown;
  /** The `stream:false` body when a fault ends the answer without `done`. */
  unfinished(): unknown;
}

/** How to play the chunks. */
export interface ChunkPlayback {
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  readonly tracker: RequestTracker;
  readonly stream: boolean;
  readonly fault: FaultSpec | undefined;
  readonly firstTokenMs: number;
  /** 0 = no pacing. */
  readonly tokensPerSecond: number;
  /** Content type of the `stream:false` body; default gin's JSON type. */
  readonly aggregateContentType?: string;
}

type FaultAction = "drop" | "stall" | "malformed" | "error";

/**
 * Sends the chunks. Rejects with the abort reason if the client goes away
 * (every timer is cleared by then); resolves once the response is ended or
 * the socket was dropped on purpose.
 */
export async function playChunks(playback: ChunkPlayback, source: ChunkSource): Promise<void> {
  const { res, signal, stream, fault } = playback;
  const writer = new NdjsonWriter(res, signal);
  const intervalMs = playback.tokensPerSecond > 0 ? 1000 / playback.tokensPerSecond : 0;
  if (playback.firstTokenMs > 0) await sleep(playback.firstTokenMs, signal);
  for (let index = 0; ; index++) {
    if (index > 0 && index < source.count && intervalMs > 0) await sleep(intervalMs, signal);
    const action = faultAt(fault, index, index >= source.count);
    if (action !== undefined) return applyFault(action, playback, source, writer, index);
    if (index >= source.count) break;
    const chunk = source.chunk(index);
    if (stream) await writer.line(JSON.stringify(chunk));
  }
  if (fault?.endWithoutDone === true) {
    playback.tracker.markFailed();
    if (stream) writer.end();
    else writeJson(res, 200, source.unfinished());
    return;
  }
  if (stream) {
    await writer.line(JSON.stringify(source.final()));
    writer.end();
  } else {
    writeJson(res, 200, source.aggregate(), playback.aggregateContentType ?? JSON_CONTENT_TYPE);
  }
}

/** The fault due before chunk `index`; counts beyond the answer fire at its end. */
function faultAt(fault: FaultSpec | undefined, index: number, atEnd: boolean): FaultAction | undefined {
  if (fault === undefined) return undefined;
  const due = (n: number | undefined): boolean => n !== undefined && (n === index || (atEnd && n > index));
  if (due(fault.dropAfterTokens)) return "drop";
  if (due(fault.stallAfterTokens)) return "stall";
  if (due(fault.malformedAfterTokens)) return "malformed";
  if (due(fault.errorAfterTokens)) return "error";
  return undefined;
}

async function applyFault(
  action: FaultAction,
  playback: ChunkPlayback,
  source: ChunkSource,
  writer: NdjsonWriter,
  index: number,
): Promise<void> {
  const { res, signal, stream, fault, tracker } = playback;
  if (action === "stall") {
    // Hold the connection (and the slot) until the client leaves or the simulator closes.
    await untilAborted(signal);
  }
  tracker.markFailed();
  if (action === "drop") {
    if (stream && writer.started) await writer.flushed();
    res.socket?.destroy();
    return;
  }
  if (action === "malformed") {
    const whole = JSON.stringify(index < source.count ? source.chunk(index) : source.final());
    const broken = whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
    if (stream) {
      await writer.line(broken);
      writer.end();
    } else {
      res.writeHead(200, { "Content-Type": JSON_CONTENT_TYPE, "Content-Length": Buffer.byteLength(broken) });
      res.end(broken);
    }
    return;
  }
  const message = fault?.message ?? RUNNER_CRASH_MESSAGE;
  if (stream && writer.started) {
    // Mid-stream: status stays 200, one error line, no done.
    await writer.line(JSON.stringify({ error: message }));
    writer.end();
  } else {
    writeError(res, 500, message, stream ? STREAM_ERROR_CONTENT_TYPE : JSON_CONTENT_TYPE);
  }
}
