import { describe, expect, it } from "vitest";
import { Semaphore } from "../../../src/sim/slots.js";

/** Records the order in which waiters are granted. */
function track(semaphore: Semaphore, name: string, order: string[], signal?: AbortSignal) {
  return semaphore.acquire(signal).then((release) => {
    order.push(name);
    return release;
  });
}

describe("Semaphore", () => {
  it("grants waiters in arrival order as slots free up", async () => {
    const semaphore = new Semaphore(1);
    const order: string[] = [];
    const first = await track(semaphore, "a", order);
    const b = track(semaphore, "b", order);
    const c = track(semaphore, "c", order);
    const d = track(semaphore, "d", order);
    expect(semaphore.waiting).toBe(3);
    first();
    (await b)();
    (await c)();
    (await d)();
    expect(order).toEqual(["a", "b", "c", "d"]);
    expect(semaphore.inUse).toBe(0);
  });

  it("drops an aborted waiter without giving it a slot", async () => {
    const semaphore = new Semaphore(1);
    const order: string[] = [];
    const held = await track(semaphore, "a", order);
    const controller = new AbortController();
    const b = track(semaphore, "b", order, controller.signal);
    const c = track(semaphore, "c", order);
    controller.abort(new Error("client gone"));
    await expect(b).rejects.toThrow("client gone");
    expect(semaphore.waiting).toBe(1);
    held();
    (await c)();
    expect(order).toEqual(["a", "c"]);
    expect(semaphore.inUse).toBe(0);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire();
    const controller = new AbortController();
    controller.abort(new Error("late"));
    await expect(semaphore.acquire(controller.signal)).rejects.toThrow("late");
    expect(semaphore.waiting).toBe(0);
    held?.();
  });

  it("makes release idempotent", async () => {
    const semaphore = new Semaphore(2);
    const release = await semaphore.acquire();
    release();
    release();
    expect(semaphore.inUse).toBe(0);
    const again = [await semaphore.acquire(), await semaphore.acquire()];
    expect(semaphore.inUse).toBe(2);
    for (const r of again) r();
  });

  it("never lets tryAcquire overtake queued waiters", async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire();
    const waiter = semaphore.acquire();
    held?.();
    // The slot went to the waiter synchronously, so a newcomer finds none.
    expect(semaphore.tryAcquire()).toBeUndefined();
    (await waiter)();
    expect(semaphore.tryAcquire()).toBeDefined();
  });

  it("wakes waiters when capacity grows", async () => {
    const semaphore = new Semaphore(1);
    const order: string[] = [];
    const a = await track(semaphore, "a", order);
    const b = track(semaphore, "b", order);
    const c = track(semaphore, "c", order);
    semaphore.setCapacity(3);
    const released = [await b, await c];
    expect(semaphore.inUse).toBe(3);
    a();
    for (const r of released) r();
  });

  it("rejects every waiter on rejectAll", async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire();
    const waiters = [semaphore.acquire(), semaphore.acquire()];
    semaphore.rejectAll(new Error("closed"));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow("closed");
    held?.();
    expect(semaphore.inUse).toBe(0);
  });
});
