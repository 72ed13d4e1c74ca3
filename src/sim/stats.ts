/**
 * Request recording and counters.
 *
 * Every request is recorded and announced on the event emitter. Only
 * generation-type requests (generate, chat, embed, embeddings, pull) move the
 * counters. Outcomes are decided once, when the response closes, so an abort
 * is visible (counters and "request-end") in the same tick the simulator
 * sees the socket go away.
 */
import type { EventEmitter } from "node:events";

/** A request as received: method, path, headers and parsed JSON body. */
export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or `undefined` when the body was empty or not JSON. */
  body: unknown;
  /** Epoch ms when the request's body had been read. */
  receivedAt: number;
}

/**
 * How a request ended: "completed" (whole response written with a 2xx status),
 * "aborted" (the client closed the connection first), or "failed" (an error
 * status, or an injected fault such as an error line or a dropped socket).
 */
export type RequestOutcome = "completed" | "aborted" | "failed";

/** Counters over generation-type requests. `active = started - completed - abortedByClient - failed`. */
export interface SimStats {
  started: number;
  completed: number;
  abortedByClient: number;
  failed: number;
  /** In flight, including those waiting for a slot or a load. */
  active: number;
  /** Waiting for a parallel slot or for a model load. */
  queued: number;
}

/** Payload of the "request-end" event. */
export interface RequestEnd {
  id: number;
  path: string;
  outcome: RequestOutcome;
}

/** Payload of the "request-queued" event (an addition to the documented events). */
export interface RequestQueued {
  id: number;
  path: string;
  /** "load": waiting to be scheduled or loaded; "slot": waiting for a NUM_PARALLEL slot. */
  reason: "load" | "slot";
}

/** Per-request handle that updates the shared counters exactly once. */
export class RequestTracker {
  readonly record: RecordedRequest;
  #book: StatsBook;
  #counted: boolean;
  #announced: boolean;
  #queued = false;
  #failedOnPurpose = false;
  #outcome: RequestOutcome | undefined;

  constructor(book: StatsBook, record: RecordedRequest, counted: boolean, announced: boolean) {
    this.#book = book;
    this.record = record;
    this.#counted = counted;
    this.#announced = announced;
  }

  /** Whether the outcome has been decided. */
  get finished(): boolean {
    return this.#outcome !== undefined;
  }

  /** Marks the request as waiting (or no longer waiting) for a slot or load. */
  setQueued(queued: boolean, reason: RequestQueued["reason"] = "slot"): void {
    if (queued === this.#queued || this.finished) return;
    this.#queued = queued;
    if (this.#counted) this.#book.counters.queued += queued ? 1 : -1;
    if (queued && this.#announced) {
      this.#book.events.emit("request-queued", { id: this.record.id, path: this.record.path, reason } satisfies RequestQueued);
    }
  }

  /**
   * Notes that the response is a failure even if it ends with status 200
   * (an error line, a malformed line, a missing `done`, a dropped socket).
   */
  markFailed(): void {
    this.#failedOnPurpose = true;
  }

  /**
   * Decides the outcome when the response closes: finished with a 2xx and no
   * injected failure is "completed"; finished otherwise is "failed"; closed
   * before finishing is "aborted" unless the simulator dropped it on purpose.
   */
  settle(finished: boolean, status: number): void {
    if (finished) this.finish(this.#failedOnPurpose || status >= 400 ? "failed" : "completed");
    else this.finish(this.#failedOnPurpose ? "failed" : "aborted");
  }

  /** Decides the outcome; later calls are ignored. Emits "request-end" synchronously. */
  finish(outcome: RequestOutcome): void {
    if (this.finished) return;
    this.setQueued(false);
    this.#outcome = outcome;
    if (this.#counted) {
      const counters = this.#book.counters;
      counters.active--;
      if (outcome === "completed") counters.completed++;
      else if (outcome === "aborted") counters.abortedByClient++;
      else counters.failed++;
    }
    if (this.#announced) {
      this.#book.events.emit("request-end", { id: this.record.id, path: this.record.path, outcome } satisfies RequestEnd);
    }
  }
}

/** Shared counters, the request log, and the event emitter. */
export class StatsBook {
  readonly events: EventEmitter;
  readonly counters: SimStats = { started: 0, completed: 0, abortedByClient: 0, failed: 0, active: 0, queued: 0 };
  #log: RecordedRequest[] = [];
  #nextId = 1;
  readonly #logSize: number;

  /** `logSize` bounds the request log, so a long-running simulator does not grow without limit. */
  constructor(events: EventEmitter, logSize: number) {
    this.events = events;
    this.#logSize = logSize;
  }

  /**
   * Starts tracking a request. A `recorded` request joins the log and its
   * events are emitted ("request-start" now); a `counted` one moves the counters.
   */
  begin(request: Omit<RecordedRequest, "id" | "receivedAt">, counted: boolean, recorded = true): RequestTracker {
    const record: RecordedRequest = { id: recorded ? this.#nextId++ : 0, ...request, receivedAt: Date.now() };
    if (counted) {
      this.counters.started++;
      this.counters.active++;
    }
    if (recorded) {
      this.#log.push(record);
      if (this.#log.length > this.#logSize) this.#log.splice(0, this.#log.length - this.#logSize);
      this.events.emit("request-start", record);
    }
    return new RequestTracker(this, record, counted, recorded);
  }

  /** A copy of the counters. */
  snapshot(): SimStats {
    return { ...this.counters };
  }

  /** The most recent recorded requests (up to the log size), oldest first (a copy of the list). */
  requests(): RecordedRequest[] {
    return [...this.#log];
  }
}
