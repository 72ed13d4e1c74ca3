/**
 * The token messages of one Generate or Chat call, written by the relay
 * straight into the transport instead of being yielded through the handler
 * chain.
 *
 * Why: an item a streaming handler yields crosses about ten async-generator
 * layers (the relay, its attempts, nice-grpc, each middleware), each costing
 * 100-200 ns and a few promises. A real generation brings its tokens one per
 * socket read, so that toll was paid per token. Instead the handler yields
 * one DirectStream, once the first batch of tokens is in hand (so everything
 * before the first token stays retryable, and no response headers go out
 * before it). The transport attaches a writer as the item passes
 * (server/direct-stream-interceptor.ts for gRPC), and the relay writes every
 * message through it. The handler's generator stays suspended in the relay
 * until the stream ends, so errors, cancellation, settlement and the access
 * log see the call exactly as before. The wire is unchanged: one gRPC
 * message per token.
 *
 * Contract:
 * - The transport calls `attach` once, synchronously, when it receives the
 *   item; `complete` ends the transport's write of the item.
 * - The relay calls `write` only after that, `end` after the last message,
 *   and `close` in `finally` whatever happened, so the transport's write is
 *   always completed (grpc-js sends the status only after it).
 * - Back-pressure: `write` returns a promise once HIGH_WATER messages are
 *   not yet written out (HTTP/2 flow control holds them); it resolves when
 *   they drop to LOW_WATER, and rejects with the signal's reason when the
 *   call is aborted (a cancelled call never confirms its writes).
 */

/** Writes one message; `written` is called once it has left the process (HTTP/2 flow control permitting). */
export type MessageWriter<T> = (message: T, written: () => void) => void;

/**
 * Unwritten messages at which the relay stops reading upstream (about 13 KB
 * of token messages)... A write is confirmed only after a socket write, at
 * the earliest on the next event-loop turn, so this is also how many
 * messages a stream can send per turn when the process is busy.
 */
export const HIGH_WATER = 128;
/** ...and the level at which it reads again. */
export const LOW_WATER = 32;

export class DirectStream<T> {
  readonly #signal: AbortSignal;
  #write: MessageWriter<T> | undefined;
  #complete: (() => void) | undefined;
  #unwritten = 0;
  /** While the relay waits: the level to wait for, and what to call when it is reached. */
  #waitLevel = 0;
  #onLevel: (() => void) | undefined;
  /** One callback for every write of this stream (no closure per message). */
  readonly #written = (): void => {
    this.#unwritten -= 1;
    if (this.#onLevel !== undefined && this.#unwritten <= this.#waitLevel) this.#onLevel();
  };

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** Called by the transport when the item reaches it. */
  attach(write: MessageWriter<T>, complete: () => void): void {
    if (this.#write !== undefined) throw new Error("DirectStream attached twice");
    this.#write = write;
    this.#complete = complete;
  }

  /** Whether a transport has attached its writer. */
  get attached(): boolean {
    return this.#write !== undefined;
  }

  /** Writes `messages[0..count)` in order; a promise when the caller must wait (see the contract). */
  write(messages: readonly T[], count: number = messages.length): Promise<void> | undefined {
    const write = this.#write;
    if (write === undefined) throw new Error("DirectStream written before a transport attached it");
    for (let i = 0; i < count; i++) {
      this.#unwritten += 1;
      write(messages[i] as T, this.#written);
    }
    return this.#unwritten >= HIGH_WATER ? this.#waitFor(LOW_WATER) : undefined;
  }

  /** Waits until every message has been written out, then completes the transport's write. */
  async end(): Promise<void> {
    if (this.#unwritten > 0) await this.#waitFor(0);
    this.close();
  }

  /** Completes the transport's write of this item. Idempotent; call it in `finally`. */
  close(): void {
    const complete = this.#complete;
    this.#complete = undefined;
    complete?.();
  }

  #waitFor(level: number): Promise<void> {
    const signal = this.#signal;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.#onLevel = undefined;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waitLevel = level;
      this.#onLevel = () => {
        this.#onLevel = undefined;
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
    });
  }
}
