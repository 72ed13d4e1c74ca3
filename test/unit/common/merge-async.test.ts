/** mergeAsync interleaves sources by arrival, propagates a source's error, and releases every source on early return. */
import { describe, expect, it } from "vitest";
import { mergeAsync } from "../../../src/common/merge-async.js";

/** A source that yields what the test pushes, in order; `end()` finishes it. */
function controlled<T>() {
  const queue: Array<{ value?: T; error?: unknown; done?: boolean }> = [];
  let wake: (() => void) | undefined;
  let returned = false;
  const push = (item: { value?: T; error?: unknown; done?: boolean }) => {
    queue.push(item);
    wake?.();
  };
  async function* source(): AsyncGenerator<T> {
    try {
      for (let i = 0; i < 1000; i++) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item.error !== undefined) throw item.error;
        if (item.done) return;
        yield item.value as T;
      }
    } finally {
      returned = true;
    }
  }
  return { source: source(), send: (value: T) => push({ value }), fail: (error: unknown) => push({ error }), end: () => push({ done: true }), wasReturned: () => returned };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("mergeAsync", () => {
  it("yields values in arrival order across sources and ends when all end", async () => {
    const a = controlled<string>();
    const b = controlled<string>();
    const out: string[] = [];
    const done = (async () => {
      for await (const value of mergeAsync([a.source, b.source])) out.push(value);
    })();
    a.send("a1");
    await tick();
    b.send("b1");
    await tick();
    b.send("b2");
    await tick();
    a.send("a2");
    a.end();
    b.end();
    await done;
    expect(out).toEqual(["a1", "b1", "b2", "a2"]);
  });

  it("completes at once for no sources", async () => {
    const out: unknown[] = [];
    for await (const value of mergeAsync([])) out.push(value);
    expect(out).toEqual([]);
  });

  it("throws a source's error and returns the other sources", async () => {
    const a = controlled<number>();
    const b = controlled<number>();
    const done = (async () => {
      for await (const _ of mergeAsync([a.source, b.source])) {
        // consume
      }
    })();
    a.fail(new Error("boom"));
    await expect(done).rejects.toThrow("boom");
    b.end(); // lets b's pending next() settle, so its queued return() runs
    await tick();
    expect(b.wasReturned()).toBe(true);
  });

  it("returns every running source when the consumer stops early", async () => {
    const a = controlled<number>();
    const b = controlled<number>();
    a.send(1);
    for await (const _ of mergeAsync([a.source, b.source])) break;
    a.end();
    b.end();
    await tick();
    expect(a.wasReturned()).toBe(true);
    expect(b.wasReturned()).toBe(true);
  });
});
