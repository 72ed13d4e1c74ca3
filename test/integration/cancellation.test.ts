/**
 * The caller's deadline and cancel reach the Ollama request: whichever way
 * the call ends early, the simulator sees the HTTP request aborted and has no
 * active request left within 100 ms, both while waiting for the first token
 * and mid-generation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { isAbortError } from "abort-controller-x";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { caught, nextSimRequest, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";
import { createRawClient, runRaw } from "../support/raw-grpc-client.js";

let fleet: TestFleet;
const chat = { model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "Tell me a long story" }] };

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 1_000, tokensPerSecond: 50 });
});
afterEach(() => {
  fleet.sim.configure({ firstTokenMs: 0 });
});
afterAll(async () => {
  await fleet.close();
});

describe.each([
  ["waiting for the first token", 10_000],
  ["mid-generation", 0],
])("%s", (_phase, firstTokenMs) => {
  it("a client deadline aborts the upstream request", async () => {
    fleet.sim.configure({ firstTokenMs });
    const aborted = fleet.sim.stats().abortedByClient;
    const error = await caught(async () => {
      for await (const _ of fleet.client.chat(chat, { deadline: new Date(Date.now() + 300) })) {
        // consume
      }
    });
    expectStatus(error, Status.DEADLINE_EXCEEDED);
    await simIdle(fleet.sim, 100);
    expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
  });

  it("a real grpc-timeout (raw grpc-js client) aborts the upstream request", async () => {
    fleet.sim.configure({ firstTokenMs });
    const aborted = fleet.sim.stats().abortedByClient;
    const client = createRawClient(fleet.target);
    try {
      const startedAt = performance.now();
      const outcome = await runRaw(client.Chat({ model: "llama3.2", messages: [{ role: "ROLE_USER", content: "hi" }] }, { deadline: Date.now() + 300 }));
      expect(outcome.error?.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(outcome.endedAt - startedAt).toBeGreaterThanOrEqual(290);
      if (firstTokenMs === 0) expect(outcome.messages.length).toBeGreaterThan(0);
      await simIdle(fleet.sim, 100);
      expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
      // The server saw the real deadline: its access line carries the budget and says DEADLINE_EXCEEDED, not CANCELLED.
      const line = fleet.logs.records.filter((r) => r.msg === "rpc").at(-1)!;
      expect(line).toMatchObject({ code: "DEADLINE_EXCEEDED" });
      expect(line.deadlineMs).toBeGreaterThan(150);
      expect(line.deadlineMs).toBeLessThanOrEqual(300);
    } finally {
      client.close();
    }
  });

  it("a client cancel aborts the upstream request", async () => {
    fleet.sim.configure({ firstTokenMs });
    const aborted = fleet.sim.stats().abortedByClient;
    const controller = new AbortController();
    const reachedOllama = nextSimRequest(fleet.sim);
    const call = (async () => {
      let received = 0;
      for await (const _ of fleet.client.chat(chat, { signal: controller.signal })) {
        if (++received === 2) controller.abort();
      }
    })();
    if (firstTokenMs > 0) {
      await reachedOllama;
      controller.abort();
    }
    const error = await caught(() => call);
    expect(isAbortError(error)).toBe(true);
    await simIdle(fleet.sim, 100);
    expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
  });
});

it("breaking out of the stream cancels the call and the upstream request", async () => {
  const aborted = fleet.sim.stats().abortedByClient;
  let received = 0;
  for await (const _ of fleet.client.chat(chat)) {
    if (++received === 3) break;
  }
  await simIdle(fleet.sim, 100);
  expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
});

describe("server-side caps", () => {
  it("max_stream_duration ends a stream with DEADLINE_EXCEEDED and aborts the upstream request", async () => {
    const capped = await startTestFleet({ tokens: 1_000, tokensPerSecond: 50 }, (config) => {
      config.streams.maxStreamDurationMs = 250;
    });
    try {
      const received: unknown[] = [];
      const error = await caught(async () => {
        for await (const message of capped.client.chat(chat)) received.push(message);
      });
      expectStatus(error, Status.DEADLINE_EXCEEDED);
      expect(received.length).toBeGreaterThan(0);
      expect(errorInfoOf(error)).toMatchObject({
        reason: "STREAM_DEADLINE_EXCEEDED",
        metadata: { limit: "max_stream_duration", limitMs: "250", chunksSent: String(received.length) },
      });
      await simIdle(capped.sim, 100);
      expect(capped.sim.stats().abortedByClient).toBe(1);
    } finally {
      await capped.close();
    }
  });

  it("max_deadline clamps a client deadline that lies further out", async () => {
    const clamped = await startTestFleet({ tokens: 1_000, tokensPerSecond: 50 }, (config) => {
      config.streams.maxDeadlineMs = 250;
    });
    const client = createRawClient(clamped.target);
    try {
      const outcome = await runRaw(client.Chat({ model: "llama3.2", messages: [{ role: "ROLE_USER", content: "hi" }] }, { deadline: Date.now() + 60_000 }));
      expect(outcome.error?.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(outcome.error?.details).toContain("max_deadline");
      await simIdle(clamped.sim, 100);
      // A call without a deadline is not clamped (max_stream_duration is the cap for those).
      const free = await runRaw(client.Chat({ model: "llama3.2", messages: [{ role: "ROLE_USER", content: "hi" }], options: { num_predict: 3 } }, {}));
      expect(free.error).toBeUndefined();
    } finally {
      client.close();
      await clamped.close();
    }
  });
});
