import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createAbortError, isAbortError, linkSignals } from "../../../src/common/abort.js";

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe("linkSignals", () => {
  it("aborts with the parent's reason", () => {
    const parent = new AbortController();
    const linked = linkSignals(parent.signal);
    expect(linked.signal.aborted).toBe(false);
    const reason = new Error("deadline");
    parent.abort(reason);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe(reason);
    expect(linked.controller.signal).toBe(linked.signal);
  });

  it("aborts with the reason of whichever parent aborts first", () => {
    const first = new AbortController();
    const second = new AbortController();
    const linked = linkSignals(first.signal, undefined, second.signal);
    second.abort("second");
    first.abort("first");
    expect(linked.signal.reason).toBe("second");
  });

  it("is aborted at once when a parent is already aborted", () => {
    const parent = new AbortController();
    parent.abort("early");
    const linked = linkSignals(parent.signal);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe("early");
  });

  // A linked controller lives for one call; the parent may live for the whole server.
  it("leaves no listener behind when a later parent is already aborted", () => {
    const live = new AbortController();
    const dead = new AbortController();
    dead.abort("gone");
    const linked = linkSignals(live.signal, dead.signal);
    expect(linked.signal.reason).toBe("gone");
    expect(abortListeners(live.signal)).toBe(0);
  });

  it("detaches from every parent once one aborts", () => {
    const a = new AbortController();
    const b = new AbortController();
    linkSignals(a.signal, b.signal);
    expect(abortListeners(a.signal)).toBe(1);
    expect(abortListeners(b.signal)).toBe(1);
    a.abort();
    expect(abortListeners(b.signal)).toBe(0);
  });

  it("cleanup() removes the listeners: a later parent abort leaves the child un-aborted", () => {
    const parent = new AbortController();
    const linked = linkSignals(parent.signal);
    linked.cleanup();
    expect(abortListeners(parent.signal)).toBe(0);
    parent.abort("late");
    expect(linked.signal.aborted).toBe(false);
  });

  it("cleanup() is idempotent and the child can still be aborted directly", () => {
    const parent = new AbortController();
    const linked = linkSignals(parent.signal);
    linked.cleanup();
    linked.cleanup();
    linked.controller.abort("own");
    expect(linked.signal.reason).toBe("own");
    expect(parent.signal.aborted).toBe(false);
  });

  it("with no parents, returns a live controller", () => {
    const linked = linkSignals(undefined);
    expect(linked.signal.aborted).toBe(false);
    linked.cleanup();
  });
});

describe("isAbortError", () => {
  const cases: Array<{ name: string; error: unknown; expected: boolean }> = [
    { name: "DOMException AbortError", error: new DOMException("x", "AbortError"), expected: true },
    { name: "DOMException TimeoutError", error: new DOMException("x", "TimeoutError"), expected: true },
    { name: "AbortSignal.abort() reason", error: AbortSignal.abort().reason, expected: true },
    { name: "createAbortError()", error: createAbortError(), expected: true },
    { name: "object named AbortError", error: { name: "AbortError" }, expected: true },
    { name: "plain Error", error: new Error("AbortError"), expected: false },
    { name: "the string AbortError", error: "AbortError", expected: false },
    { name: "null", error: null, expected: false },
    { name: "undefined", error: undefined, expected: false },
  ];

  it.each(cases)("$name -> $expected", ({ error, expected }) => {
    expect(isAbortError(error)).toBe(expected);
  });

  it("createAbortError keeps the message", () => {
    expect(createAbortError("stop").message).toBe("stop");
  });
});
