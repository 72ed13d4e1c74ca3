/**
 * /metrics on the admin port, scraped over HTTP after real calls: request
 * counts by method and code, TTFT and tokens by (normalized) model, backend
 * gauges, queue length; and the bound on model label values.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { GatewayMetrics } from "../../src/observability/metrics.js";
import { caught, collect, startTestFleet, type TestFleet } from "../support/harness.js";

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 5, preloaded: ["llama3.2:latest"] }, (config) => {
    config.admin.listen = "127.0.0.1:0";
  });
});
afterAll(async () => {
  await fleet.close();
});

/** One sample's value from the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length, line.lastIndexOf(" "));
    if (wanted.every((l) => labelText.includes(l))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

it("exposes request counts, TTFT and tokens by model, and the fleet's gauges", async () => {
  await collect(fleet.client.chat({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "a" }] }));
  await collect(fleet.client.chat({ model: "llama3.2:latest", messages: [{ role: Role.ROLE_USER, content: "b" }] }));
  await caught(() => collect(fleet.client.chat({ model: "", messages: [] })));
  const response = await fetch(`http://127.0.0.1:${fleet.gateway.adminPort}/metrics`);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = await response.text();
  const chat = "/ollama.v1.OllamaService/Chat";
  expect(sample(text, "ollama_grpc_requests_total", { method: chat, code: "OK" })).toBe(2);
  expect(sample(text, "ollama_grpc_requests_total", { method: chat, code: "INVALID_ARGUMENT" })).toBe(1);
  // Both spellings of the model are one series.
  expect(sample(text, "ollama_grpc_time_to_first_token_seconds_count", { method: chat, model: "llama3.2:latest" })).toBe(2);
  expect(sample(text, "ollama_grpc_tokens_total", { model: "llama3.2:latest", direction: "output" })).toBe(10);
  expect(sample(text, "ollama_grpc_tokens_total", { model: "llama3.2:latest", direction: "input" })).toBeGreaterThan(0);
  expect(sample(text, "ollama_grpc_time_per_output_token_seconds_count", { model: "llama3.2:latest" })).toBe(2);
  expect(sample(text, "ollama_grpc_request_duration_seconds_count", { method: chat })).toBe(3);
  expect(sample(text, "ollama_grpc_backend_up", { cluster: "default", backend: "b1" })).toBe(1);
  expect(sample(text, "ollama_grpc_backend_slots", { cluster: "default", backend: "b1" })).toBe(1);
  expect(sample(text, "ollama_grpc_backend_in_flight", { cluster: "default", backend: "b1" })).toBe(0);
  expect(sample(text, "ollama_grpc_backend_ejections_total", { cluster: "default", backend: "b1" })).toBe(0);
  expect(sample(text, "ollama_grpc_queue_length", { cluster: "default" })).toBe(0);
  expect(sample(text, "ollama_grpc_queue_wait_seconds_count", { method: chat })).toBe(2);
  expect(text).toContain("process_cpu_seconds_total");
});

it("bounds model label values: past the limit, new models count as \"other\"", async () => {
  const metrics = new GatewayMetrics(2);
  for (const model of ["a:latest", "b:latest", "c:latest", "d:latest", "a:latest"]) {
    metrics.observeCall({ method: "m", code: "OK", durationMs: 10, ttftMs: 1, model, chunksOut: 3, completionTokens: 1 });
  }
  const text = (await metrics.scrape()).body;
  expect(sample(text, "ollama_grpc_tokens_total", { model: "a:latest", direction: "output" })).toBe(2);
  expect(sample(text, "ollama_grpc_tokens_total", { model: "other", direction: "output" })).toBe(2);
  expect(sample(text, "ollama_grpc_tokens_total", { model: "c:latest", direction: "output" })).toBeUndefined();
});
