/**
 * Consuming what a streaming OllamaService method yields, for the HTTP
 * doors. Generate and Chat yield one DirectStream (service/direct-stream.ts):
 * the door attaches its writer, and the relay then calls it once per token
 * message while the iteration's next() is pending. Other streaming methods
 * (PullModel) yield their messages one by one. Either way the door sees
 * `(message, written)` calls, and must call `written` once the message has
 * left the process: that is what the relay's back-pressure counts.
 */
import type { ServerResponse } from "node:http";
import { DirectStream } from "../service/direct-stream.js";

/** Receives one message; `written` confirms it (see the module comment). */
export type MessageSink<T> = (message: T, written: () => void) => void;

const noop = (): void => undefined;

/** Feeds every message of a streaming call to `sink`, in order; resolves when the call ends, rejects with its error. */
export async function drainMessages<T>(items: AsyncIterable<unknown>, sink: MessageSink<T>): Promise<void> {
  for await (const item of items) {
    if (item instanceof DirectStream) {
      (item as DirectStream<T>).attach(sink, noop);
    } else {
      sink(item as T, noop);
    }
  }
}

/**
 * Writes text frames to a response, coalescing the frames written in one
 * event-loop turn into one socket write: a relay batch (all the tokens of
 * one upstream read) then costs one syscall, not one per token.
 */
export class FrameWriter {
  readonly #res: ServerResponse;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#res.uncork();
  };

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /** Writes one frame; `written` runs once it reached the socket (or the response was destroyed). */
  write(frame: string, written: () => void = noop): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#res.cork();
      process.nextTick(this.#uncork);
    }
    this.#res.write(frame, written);
  }
}
