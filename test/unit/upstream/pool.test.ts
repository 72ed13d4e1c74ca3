/**
 * The pool's admission logic on a fake clock: slots, the priority/FIFO queue
 * bounded in length and time (never past the caller's deadline), model-aware
 * candidate selection, health and ejection, priority tiers with the panic
 * threshold, draining, and outcome reporting.
 */
import { describe, expect, it } from "vitest";
import { LearnedCosts } from "../../../src/upstream/cost-model.js";
import { ModelUnavailableError, NoEndpointError, QueueFullError, QueueTimeoutError } from "../../../src/upstream/errors.js";
import { UpstreamPool, type AcquireRequest, type AttemptOutcome, type Lease } from "../../../src/upstream/pool.js";
import type { EndpointConfig, Policy } from "../../../src/upstream/types.js";
import { FakeClock } from "../../support/fake-clock.js";

/** Deterministic policy: the first ready endpoint, in pool order. */
const firstReady: Policy = { name: "first", choose: (ready) => (ready[0] ? { kind: "pick", endpoint: ready[0] } : { kind: "queue" }) };

const config = (name: string, overrides: Partial<EndpointConfig> = {}): EndpointConfig => ({
  name,
  url: `http://${name}`,
  weight: 1,
  priority: 0,
  locality: "",
  labels: {},
  maxConcurrency: 1,
  ...overrides,
});

function setup(endpoints: EndpointConfig[], options: { maxLength?: number; maxWaitMs?: number; panic?: number; policy?: Policy } = {}) {
  const clock = new FakeClock();
  const outcomes: Array<[string, AttemptOutcome]> = [];
  const pool = new UpstreamPool(endpoints, {
    policy: options.policy ?? firstReady,
    clock,
    costs: new LearnedCosts(5_000, 1_000),
    panicThresholdPercent: options.panic ?? 50,
    queue: { maxLength: options.maxLength ?? 10, maxWaitMs: options.maxWaitMs ?? 30_000 },
    onOutcome: (name, outcome) => outcomes.push([name, outcome]),
  });
  return { clock, pool, outcomes };
}

const request = (overrides: Partial<AcquireRequest> = {}): AcquireRequest => ({
  exclude: new Set(),
  priority: 0,
  signal: new AbortController().signal,
  deadline: Number.POSITIVE_INFINITY,
  ...overrides,
});

/** Settles pending promise callbacks (bounded). */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function tracked<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

describe("slots and the queue", () => {
  it("leases a free slot, and queues FIFO when every slot is taken", async () => {
    const { pool } = setup([config("a"), config("b")]);
    const first = await pool.acquire(request());
    const second = await pool.acquire(request());
    expect([first.endpoint.name, second.endpoint.name]).toEqual(["a", "b"]);
    expect(pool.endpoints().map((e) => e.inFlight)).toEqual([1, 1]);
    const third = tracked(pool.acquire(request()));
    const fourth = tracked(pool.acquire(request()));
    await flush();
    expect([third.settled, fourth.settled, pool.queueLength]).toEqual([false, false, 2]);
    second.release("success");
    await flush();
    expect(third.value?.endpoint.name).toBe("b");
    expect(fourth.settled).toBe(false);
    first.release("success");
    await flush();
    expect(fourth.value?.endpoint.name).toBe("a");
    expect(pool.queueLength).toBe(0);
  });

  it("serves higher priorities first, FIFO among equals", async () => {
    const { pool } = setup([config("a")]);
    const holder = await pool.acquire(request());
    const order: string[] = [];
    const waits = [
      ["low-1", 0],
      ["high", 5],
      ["low-2", 0],
      ["mid", 1],
    ] as const;
    const byLabel = new Map(waits.map(([label, priority]) => [label, pool.acquire(request({ priority })).then((lease) => (order.push(label), lease))]));
    let current: Lease = holder;
    for (let i = 0; i < waits.length; i++) {
      current.release("success");
      await flush();
      current = await byLabel.get(order.at(-1) as (typeof waits)[number][0])!;
    }
    current.release("success");
    expect(order).toEqual(["high", "mid", "low-1", "low-2"]);
  });

  it("rejects with QueueFullError when the queue is at max_length", async () => {
    const { pool } = setup([config("a")], { maxLength: 1 });
    await pool.acquire(request());
    void pool.acquire(request()).catch(() => undefined);
    await expect(pool.acquire(request())).rejects.toBeInstanceOf(QueueFullError);
  });

  it("times a waiter out after max_wait, with a retry hint", async () => {
    const { pool, clock } = setup([config("a")], { maxWaitMs: 1_000 });
    await pool.acquire(request());
    const waiting = tracked(pool.acquire(request()));
    clock.advance(999);
    await flush();
    expect(waiting.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(waiting.error).toBeInstanceOf(QueueTimeoutError);
    expect((waiting.error as QueueTimeoutError).retryAfterMs).toBe(1_000);
    expect(pool.queueLength).toBe(0);
  });

  it("never waits past the caller's deadline", async () => {
    const { pool, clock } = setup([config("a")], { maxWaitMs: 30_000 });
    await pool.acquire(request());
    const waiting = tracked(pool.acquire(request({ deadline: clock.now() + 200 })));
    clock.advance(200);
    await flush();
    expect(waiting.error).toBeInstanceOf(QueueTimeoutError);
  });

  it("drops a waiter whose caller aborts, with the abort reason", async () => {
    const { pool } = setup([config("a")]);
    await pool.acquire(request());
    const controller = new AbortController();
    const waiting = tracked(pool.acquire(request({ signal: controller.signal })));
    controller.abort(new DOMException("gone", "AbortError"));
    await flush();
    expect((waiting.error as Error).name).toBe("AbortError");
    expect(pool.queueLength).toBe(0);
  });

  it("reports each release's outcome once", async () => {
    const { pool, outcomes } = setup([config("a")]);
    const lease = await pool.acquire(request());
    lease.release("local_failure");
    lease.release("success");
    expect(outcomes).toEqual([["a", "local_failure"]]);
    expect(pool.endpoints()[0]!.inFlight).toBe(0);
  });
});

describe("candidates", () => {
  it("sends a model only where it is installed, once catalogues are known", async () => {
    const { pool } = setup([config("a"), config("b"), config("c")]);
    pool.setCatalogue("a", new Set(["m1:latest"]), new Set());
    pool.setCatalogue("b", new Set(["m2:latest"]), new Set());
    // c's catalogue is unknown: used only when no known backend holds the model.
    expect((await pool.acquire(request({ model: "m2:latest" }))).endpoint.name).toBe("b");
    expect((await pool.acquire(request({ model: "m3:latest" }))).endpoint.name).toBe("c");
    pool.setCatalogue("c", new Set(), new Set());
    await expect(pool.acquire(request({ model: "m4:latest" }))).rejects.toBeInstanceOf(ModelUnavailableError);
  });

  it("has no candidate left when every holder was tried", async () => {
    const { pool } = setup([config("a"), config("b")]);
    pool.setCatalogue("a", new Set(["m:latest"]), new Set());
    pool.setCatalogue("b", new Set(), new Set());
    await expect(pool.acquire(request({ model: "m:latest", exclude: new Set(["a"]) }))).rejects.toBeInstanceOf(NoEndpointError);
  });

  it("forgets a model a backend said it does not have", async () => {
    const { pool } = setup([config("a"), config("b")]);
    pool.setCatalogue("a", new Set(["m:latest"]), new Set(["m:latest"]));
    pool.setCatalogue("b", new Set(["m:latest"]), new Set());
    pool.markMissing("a", "m:latest");
    expect((await pool.acquire(request({ model: "m:latest" }))).endpoint.name).toBe("b");
  });

  it.each([
    { name: "skips unhealthy and ejected endpoints", panic: 0, health: ["unhealthy", "healthy", "healthy"], ejected: [false, true, false], expect: "c" },
    { name: "panics below the threshold: 1 of 3 usable uses the whole tier", panic: 50, health: ["unhealthy", "unhealthy", "healthy"], ejected: [false, false, false], expect: "a" },
    { name: "at the threshold no panic: 2 of 3 usable", panic: 50, health: ["unhealthy", "healthy", "healthy"], ejected: [false, false, false], expect: "b" },
    { name: "uses every endpoint when none is usable", panic: 0, health: ["unhealthy", "unhealthy", "unhealthy"], ejected: [false, false, false], expect: "a" },
  ] as const)("$name", async (row) => {
    const { pool } = setup([config("a"), config("b"), config("c")], { panic: row.panic });
    row.health.forEach((h, i) => pool.setHealth(["a", "b", "c"][i]!, h));
    row.ejected.forEach((e, i) => pool.setEjected(["a", "b", "c"][i]!, e));
    expect((await pool.acquire(request())).endpoint.name).toBe(row.expect);
  });

  it("fails over to the next priority tier only when the preferred one has no usable endpoint", async () => {
    const { pool } = setup([config("gpu", { priority: 0 }), config("cpu", { priority: 1 })]);
    expect((await pool.acquire(request())).endpoint.name).toBe("gpu");
    pool.setHealth("gpu", "unhealthy");
    expect((await pool.acquire(request())).endpoint.name).toBe("cpu");
  });

  it("drains a removed endpoint: no new calls, removed once its calls end", async () => {
    const { pool } = setup([config("a", { maxConcurrency: 2 }), config("b")]);
    const lease = await pool.acquire(request());
    expect(lease.endpoint.name).toBe("a");
    pool.setEndpoints([config("b")]);
    expect(pool.endpoints().find((e) => e.name === "a")?.draining).toBe(true);
    expect((await pool.acquire(request())).endpoint.name).toBe("b");
    lease.release("success");
    expect(pool.endpoints().map((e) => e.name)).toEqual(["b"]);
  });

  it("a newly added endpoint takes queued calls at once", async () => {
    const { pool } = setup([config("a")]);
    await pool.acquire(request());
    const waiting = tracked(pool.acquire(request()));
    pool.setEndpoints([config("a"), config("b")]);
    await flush();
    expect(waiting.value?.endpoint.name).toBe("b");
  });
});
