/**
 * Tracks in-flight calls so shutdown can wait for them, and abort them when
 * the drain timeout expires. A call that never ends by itself (health Watch)
 * opts in through `abortOnTerminate()`, the hook nice-grpc-server-health
 * calls; `terminate()` aborts those at once, so shutdown never hangs on them.
 * (nice-grpc-server-middleware-terminator plays this role upstream but is not
 * available from our registry.)
 */
import type { CallContext, ServerMiddlewareCall } from "nice-grpc";
import { linkSignals } from "../common/abort.js";

/** Context added by the terminator. */
export interface TerminatorContext {
  /** Marks the call as one to abort as soon as shutdown begins. */
  abortOnTerminate(): void;
}

interface TrackedCall {
  controller: AbortController;
  abortOnTerminate: boolean;
}

/** Call tracker and its middleware. */
export class Terminator {
  readonly #calls = new Set<TrackedCall>();
  readonly #idleWaiters: Array<() => void> = [];
  #terminated = false;

  /** Number of calls in flight. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** The middleware; it must sit outside the handlers whose signal it controls. */
  readonly middleware = <Req, Res>(
    call: ServerMiddlewareCall<Req, Res, TerminatorContext>,
    context: CallContext,
  ): AsyncGenerator<Res, Res | void, undefined> => this.#track(call, context);

  /** Aborts every call that opted in with `abortOnTerminate()`, now and for calls that opt in later. */
  terminate(): void {
    this.#terminated = true;
    for (const tracked of this.#calls) {
      if (tracked.abortOnTerminate) tracked.controller.abort();
    }
  }

  /** Resolves once no call is in flight (at once when none is): shutdown waits on it for every door's calls. */
  whenIdle(): Promise<void> {
    if (this.#calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Aborts every call in flight with `reason`. */
  abortAll(reason: unknown): void {
    for (const tracked of this.#calls) tracked.controller.abort(reason);
  }

  async *#track<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, TerminatorContext>,
    context: CallContext,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const linked = linkSignals(context.signal);
    const tracked: TrackedCall = { controller: linked.controller, abortOnTerminate: false };
    this.#calls.add(tracked);
    try {
      return yield* call.next(call.request, {
        ...context,
        signal: linked.signal,
        abortOnTerminate: () => {
          tracked.abortOnTerminate = true;
          if (this.#terminated) linked.controller.abort();
        },
      });
    } finally {
      linked.cleanup();
      this.#calls.delete(tracked);
      if (this.#calls.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }
}
