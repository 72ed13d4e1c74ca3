import { describe, expect, it } from "vitest";
import { DirectStream, HIGH_WATER, LOW_WATER } from "../../../src/service/direct-stream.js";

/** A fake transport: records messages and holds their write confirmations until `confirm`. */
function transport() {
  const sent: number[] = [];
  const pending: Array<() => void> = [];
  let completed = 0;
  return {
    sent,
    get completed() {
      return completed;
    },
    get unconfirmed() {
      return pending.length;
    },
    attach(stream: DirectStream<number>) {
      stream.attach(
        (message, written) => {
          sent.push(message);
          pending.push(written);
        },
        () => (completed += 1),
      );
    },
    confirm(count: number) {
      for (const written of pending.splice(0, count)) written();
    },
  };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** Whether `promise` has settled after the microtasks queued so far ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("DirectStream", () => {
  it("refuses writes before a transport attached it, and a second attachment", () => {
    const stream = new DirectStream<number>(new AbortController().signal);
    expect(stream.attached).toBe(false);
    expect(() => stream.write([1])).toThrow(/before a transport attached/);
    transport().attach(stream);
    expect(stream.attached).toBe(true);
    expect(() => transport().attach(stream)).toThrow(/attached twice/);
  });

  it("writes messages in order, only the first `count`, without waiting below the high-water mark", () => {
    const stream = new DirectStream<number>(new AbortController().signal);
    const t = transport();
    t.attach(stream);
    expect(stream.write([1, 2, 3], 2)).toBeUndefined();
    expect(stream.write([4])).toBeUndefined();
    expect(t.sent).toEqual([1, 2, 4]);
  });

  it("makes the writer wait at HIGH_WATER unconfirmed messages, until they fall to LOW_WATER", async () => {
    const stream = new DirectStream<number>(new AbortController().signal);
    const t = transport();
    t.attach(stream);
    expect(stream.write(range(0, HIGH_WATER - 1))).toBeUndefined();
    const wait = stream.write([HIGH_WATER - 1]);
    expect(wait).toBeInstanceOf(Promise);
    t.confirm(HIGH_WATER - LOW_WATER - 1);
    expect(await settled(wait as Promise<void>)).toBe(false);
    t.confirm(1);
    expect(await settled(wait as Promise<void>)).toBe(true);
    expect(t.unconfirmed).toBe(LOW_WATER);
  });

  it("rejects a wait with the signal's reason when the call is aborted (a cancelled call never confirms)", async () => {
    const controller = new AbortController();
    const stream = new DirectStream<number>(controller.signal);
    transport().attach(stream);
    const wait = stream.write(range(0, HIGH_WATER)) as Promise<void>;
    const reason = new Error("cancelled");
    controller.abort(reason);
    await expect(wait).rejects.toBe(reason);
    await expect(stream.end()).rejects.toBe(reason);
  });

  it("ends only once every message is confirmed, then completes the transport's write once", async () => {
    const stream = new DirectStream<number>(new AbortController().signal);
    const t = transport();
    t.attach(stream);
    stream.write([1, 2, 3]);
    const ended = stream.end();
    t.confirm(2);
    expect(await settled(ended)).toBe(false);
    expect(t.completed).toBe(0);
    t.confirm(1);
    expect(await settled(ended)).toBe(true);
    stream.close();
    expect(t.completed).toBe(1);
  });

  it("close completes the transport's write even when the stream failed midway", () => {
    const stream = new DirectStream<number>(new AbortController().signal);
    const t = transport();
    t.attach(stream);
    stream.write([1, 2]);
    stream.close();
    stream.close();
    expect(t.completed).toBe(1);
  });
});
