/**
 * Interleaves several async iterables into one, yielding values in the order
 * they arrive. Contract: a source that throws makes the merged iterable throw
 * (sources that should survive errors catch their own); when the consumer
 * stops early, `return()` is called on every source still running, without
 * waiting for it (a source blocked on I/O ends when its signal aborts). No
 * rejection is ever left unhandled.
 */
type Step<T> = { index: number; result?: IteratorResult<T>; error?: unknown; failed: boolean };

export async function* mergeAsync<T>(sources: ReadonlyArray<AsyncIterable<T>>): AsyncGenerator<T, void, undefined> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<Step<T>>>();
  const advance = (index: number): void => {
    pending.set(
      index,
      (iterators[index] as AsyncIterator<T>).next().then(
        (result) => ({ index, result, failed: false }),
        (error: unknown) => ({ index, error, failed: true }),
      ),
    );
  };
  iterators.forEach((_, index) => advance(index));
  try {
    while (pending.size > 0) {
      const step = await Promise.race(pending.values());
      if (step.failed) {
        pending.delete(step.index);
        throw step.error;
      }
      if (step.result!.done) {
        pending.delete(step.index);
        continue;
      }
      advance(step.index);
      yield step.result!.value;
    }
  } finally {
    for (const index of pending.keys()) {
      void Promise.resolve(iterators[index]!.return?.()).catch(() => undefined);
    }
  }
}
