/**
 * Helpers for the one AbortSignal that each call threads from the gRPC
 * handler to the Ollama HTTP request.
 */

/** True for the errors that mean "the operation was aborted on purpose". */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "name" in error &&
    (error.name === "AbortError" || error.name === "TimeoutError")
  );
}

/** A linked controller and the function that detaches it from its parents. */
export interface LinkedAbortController {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  /** Removes the listeners added to the parent signals. Idempotent. */
  cleanup(): void;
}

/**
 * Creates a controller that aborts when any of `signals` aborts, with that
 * signal's reason. The caller must call `cleanup()` in `finally`: unlike
 * `AbortSignal.any`, this leaves no listener behind on long-lived parents.
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): LinkedAbortController {
  const controller = new AbortController();
  const detachers: Array<() => void> = [];
  const cleanup = (): void => {
    for (const detach of detachers.splice(0)) detach();
  };
  for (const signal of signals) {
    if (signal === undefined) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      cleanup();
      break;
    }
    const onAbort = (): void => {
      controller.abort(signal.reason);
      cleanup();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    detachers.push(() => signal.removeEventListener("abort", onAbort));
  }
  return { controller, signal: controller.signal, cleanup };
}

/** Creates an AbortError (a DOMException, as fetch and undici throw). */
export function createAbortError(message = "The operation was aborted"): Error {
  return new DOMException(message, "AbortError");
}
