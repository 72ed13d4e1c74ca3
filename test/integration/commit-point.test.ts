/**
 * The RPC is not committed before the first token: response headers go out
 * with the first message, so a failure while Ollama queues or loads reaches
 * the caller as a trailers-only status that gRPC clients and meshes may retry.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "../support/harness.js";
import { createRawClient } from "../support/raw-grpc-client.js";

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 3, firstTokenMs: 300 });
});
afterAll(async () => {
  await fleet.close();
});

it("sends no response headers until Ollama's first token", async () => {
  const client = createRawClient(fleet.target);
  try {
    const startedAt = performance.now();
    const events: Array<[string, number]> = [];
    const call = client.Generate({ model: "llama3.2", prompt: "hi" }, {});
    await new Promise<void>((resolve, reject) => {
      call.on("metadata", () => events.push(["headers", performance.now() - startedAt]));
      call.on("data", () => events.push(["message", performance.now() - startedAt]));
      call.on("error", reject);
      call.on("end", () => resolve());
    });
    expect(events[0]![0]).toBe("headers");
    expect(events[1]![0]).toBe("message");
    expect(events[0]![1]).toBeGreaterThanOrEqual(290); // not before the simulated 300 ms to first token
  } finally {
    client.close();
  }
});

it("answers a failure before the first token without any response headers", async () => {
  fleet.sim.setFault("*", { status: 503, message: "server busy, please try again.  maximum pending requests exceeded" });
  const client = createRawClient(fleet.target);
  try {
    let sawHeaders = false;
    const call = client.Generate({ model: "llama3.2", prompt: "hi" }, {});
    const error = await new Promise<{ code: number; metadata: { get(key: string): unknown[] } }>((resolve) => {
      call.on("metadata", () => (sawHeaders = true));
      call.on("data", () => (sawHeaders = true));
      call.on("error", resolve);
    });
    expect(error.code).toBe(14);
    expect(sawHeaders).toBe(false);
    expect(error.metadata.get("grpc-retry-pushback-ms")).toEqual(["1000"]);
  } finally {
    fleet.sim.setFault("*", undefined);
    client.close();
  }
});
