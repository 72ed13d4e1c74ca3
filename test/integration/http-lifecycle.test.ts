/**
 * The HTTP front doors' lifecycle and limits: a shutdown lets an in-flight
 * stream finish within the drain and refuses new connections; a stream
 * still running when the drain expires ends with Ollama's error line (its
 * Ollama request aborted); a body over the cap is a 413 before the call
 * runs; metrics count calls by door.
 */
import { afterEach, describe, expect, it } from "vitest";
import { nextSimRequest, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function start(sim: Parameters<typeof startTestFleet>[0], tune?: (config: import("../../src/config/schema.js").Config) => void) {
  fleet = await startTestFleet(sim, (config) => {
    config.http.listen = "127.0.0.1:0";
    config.admin.listen = "127.0.0.1:0";
    tune?.(config);
  });
  const base = `http://127.0.0.1:${fleet.gateway.httpPort}`;
  return { fleet, base };
}

const chat = (content: string) => JSON.stringify({ model: "llama3.2", messages: [{ role: "user", content }] });

describe("shutdown", () => {
  it("an in-flight stream finishes within the drain; new connections are refused", async () => {
    const { fleet: f, base } = await start({ tokens: 20, tokensPerSecond: 40 }); // the harness drains for 2 s
    const reached = nextSimRequest(f.sim, "/api/chat");
    const response = await fetch(`${base}/api/chat`, { method: "POST", body: chat("story") });
    await reached;
    const closing = f.gateway.close();
    await expect(fetch(`${base}/api/version`)).rejects.toThrow();
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as { done: boolean });
    expect(lines).toHaveLength(21);
    expect(lines.at(-1)?.done).toBe(true);
    await closing;
  });

  it("a stream still running when the drain expires ends with an error line, and its Ollama request is aborted", async () => {
    const { fleet: f, base } = await start({ tokens: 10_000, tokensPerSecond: 50 }, (config) => {
      config.streams.drainTimeoutMs = 300;
    });
    const reached = nextSimRequest(f.sim, "/api/chat");
    const response = await fetch(`${base}/api/chat`, { method: "POST", body: chat("endless") });
    await reached;
    const aborted = f.sim.stats().abortedByClient;
    const closing = f.gateway.close();
    const lines = (await response.text()).trim().split("\n");
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ error: "server shutting down; retry on another replica" });
    await closing;
    await simIdle(f.sim, 1_000);
    expect(f.sim.stats().abortedByClient).toBe(aborted + 1);
  });
});

describe("limits and metrics", () => {
  it("a body over the cap is refused with 413 before any call runs", async () => {
    const { fleet: f, base } = await start({ tokens: 2 }, (config) => {
      config.limits.maxMessageBytes = 3_000;
      config.limits.maxImageBytes = 1_000;
    });
    const started = f.sim.stats().started;
    const response = await fetch(`${base}/api/chat`, { method: "POST", body: chat("x".repeat(5_000)) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "request body too large: the limit is 4000 bytes" });
    expect(f.sim.stats().started).toBe(started);
  });

  it("counts calls by door", async () => {
    const { fleet: f, base } = await start({ tokens: 2 });
    await (await fetch(`${base}/api/chat`, { method: "POST", body: chat("a") })).text();
    await (await fetch(`${base}/v1/chat/completions`, { method: "POST", body: chat("b") })).text();
    const metrics = await (await fetch(`http://127.0.0.1:${f.gateway.adminPort}/metrics`)).text();
    expect(metrics).toContain('ollama_grpc_requests_total{method="/ollama.v1.OllamaService/Chat",code="OK",door="ollama"} 1');
    expect(metrics).toContain('ollama_grpc_requests_total{method="/ollama.v1.OllamaService/Chat",code="OK",door="openai"} 1');
  });
});
