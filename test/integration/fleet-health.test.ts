/**
 * grpc.health.v1 reflects the fleet: per backend, per model, and readiness of
 * ollama.v1.OllamaService (at least one usable backend). Transitions are
 * awaited through Watch streams (event-driven), bounded by a timeout.
 */
import { afterEach, expect, it } from "vitest";
import { createChannel, createClient, Status, type Channel } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { HealthCheckResponse_ServingStatus as Serving } from "nice-grpc-server-health/lib/proto/grpc/health/v1/health.js";
import { DEFAULT_SIM_MODELS, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { caught, startTestGateway, type TestGateway } from "../support/harness.js";
import { expectStatus } from "../support/errors.js";

const sims: RunningSimulator[] = [];
let gateway: TestGateway | undefined;
let channel: Channel | undefined;
afterEach(async () => {
  channel?.close();
  await gateway?.close();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

it("publishes backend, model and readiness health, and follows backends going down", async () => {
  const model = (name: string) => DEFAULT_SIM_MODELS.find((m) => m.name === name)!;
  sims.push(await startSimulator({ models: [model("llama3.2:latest"), model("qwen3:latest")] }));
  sims.push(await startSimulator({ models: [model("llama3.2:latest")] }));
  gateway = await startTestGateway(sims.map((s) => s.url), (config) => {
    config.healthCheck.intervalMs = 100;
    config.healthCheck.timeoutMs = 2_000; // a closed backend fails at once; a slow machine must not fail a live one
    config.healthCheck.unhealthyThreshold = 1;
  });
  channel = createChannel(gateway.target);
  const health = createClient(HealthDefinition, channel);
  const check = async (service: string) => (await health.check({ service })).status;
  const S = "ollama.v1.OllamaService";

  expect(await check(S)).toBe(Serving.SERVING);
  expect(await check(`${S}/backend/b1`)).toBe(Serving.SERVING);
  expect(await check(`${S}/model/qwen3:latest`)).toBe(Serving.SERVING);
  expect(await check(`${S}/model/llama3.2:latest`)).toBe(Serving.SERVING);
  expectStatus(await caught(() => check(`${S}/model/phi4:latest`)), Status.NOT_FOUND);

  /** Resolves once `service` reports `wanted` (Watch stream; fails after 3 s). */
  const becomes = async (service: string, wanted: Serving) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 3_000);
    try {
      for await (const update of health.watch({ service }, { signal: controller.signal })) if (update.status === wanted) return;
    } finally {
      clearTimeout(timer);
    }
  };

  await sims[0]!.close(); // b1, the only backend with qwen3, goes down
  await becomes(`${S}/backend/b1`, Serving.NOT_SERVING);
  await becomes(`${S}/model/qwen3:latest`, Serving.NOT_SERVING);
  expect(await check(`${S}/model/llama3.2:latest`)).toBe(Serving.SERVING); // b2 still has it
  expect(await check(S)).toBe(Serving.SERVING);

  await sims[1]!.close();
  await becomes(S, Serving.NOT_SERVING); // no usable backend: not ready
  expect(await check("")).toBe(Serving.SERVING); // the process itself is alive (liveness)
  sims.splice(0);
});
