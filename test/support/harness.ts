/**
 * Integration harness: a real gateway on 127.0.0.1:0 in front of real
 * simulators on 127.0.0.1:0, a nice-grpc client, and an in-memory log sink.
 * `close()` tears everything down; tests call it in afterEach/afterAll.
 */
import { createChannel, createClientFactory, type Channel } from "nice-grpc";
import { deadlineMiddleware } from "nice-grpc-client-middleware-deadline";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { OllamaServiceDefinition, type OllamaServiceClient } from "../../gen/ollama/v1/ollama.js";
import { startGateway, type Gateway } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "../../src/sim/index.js";
import type { RecordedRequest } from "../../src/sim/stats.js";
import { createLogSink, type LogSink } from "./log-sink.js";

export type TestClient = OllamaServiceClient<{ deadline?: Date | number }>;

export interface TestGateway {
  readonly gateway: Gateway;
  readonly target: string;
  readonly client: TestClient;
  readonly channel: Channel;
  readonly logs: LogSink;
  close(): Promise<void>;
}

/** Starts a gateway in front of `backendUrls`; `tune` may adjust the validated config. */
export async function startTestGateway(backendUrls: string[], tune?: (config: Config) => void): Promise<TestGateway> {
  const config = loadConfig({ listen: "127.0.0.1:0", backends: backendUrls.map((url, i) => `b${i + 1}=${url}`), logLevel: "info" }, {});
  config.streams.drainTimeoutMs = 2_000;
  config.admin.listen = ""; // tests that need it set "127.0.0.1:0"
  tune?.(config);
  // Tests tune the top-level settings; the implicit "default" cluster is derived from them.
  const [only] = config.clusters;
  if (config.clusters.length === 1 && only?.name === "default") {
    config.clusters = [{ ...only, backends: config.backends, discovery: config.discovery, policy: config.balancing.policy, policyConfig: config.balancing.policyConfig }];
  }
  const logs = createLogSink();
  const gateway = await startGateway(config, createLogger(config.log.level, logs));
  const target = `127.0.0.1:${gateway.port}`;
  const channel = createChannel(target);
  const client: TestClient = createClientFactory()
    .use(errorDetailsClientMiddleware)
    .use(deadlineMiddleware)
    .create(OllamaServiceDefinition, channel);
  return {
    gateway,
    target,
    client,
    channel,
    logs,
    async close() {
      channel.close();
      await gateway.close();
    },
  };
}

/** A gateway with `count` simulators behind it. */
export interface TestFleet extends TestGateway {
  readonly sims: RunningSimulator[];
  readonly sim: RunningSimulator;
}

/** Starts `count` simulators (fast by default) and a gateway in front of them. */
export async function startTestFleet(
  simOptions: SimulatorOptions = {},
  tune?: (config: Config) => void,
  count = 1,
): Promise<TestFleet> {
  const sims: RunningSimulator[] = [];
  for (let i = 0; i < count; i++) {
    sims.push(await startSimulator({ tokensPerSecond: 0, firstTokenMs: 0, defaultLoadMs: 0, ...simOptions }));
  }
  const gateway = await startTestGateway(sims.map((sim) => sim.url), tune);
  return {
    ...gateway,
    sims,
    sim: sims[0] as RunningSimulator,
    async close() {
      await gateway.close();
      await Promise.all(sims.map((sim) => sim.close()));
    },
  };
}

/** Collects a stream into an array (bounded by the stream itself ending). */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** Runs `fn` and returns what it threw (fails when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but the call succeeded");
}

/**
 * Resolves when the simulator has no active request, or rejects after
 * `withinMs`. Event-driven (no polling loop): checks now, then on every
 * "request-end".
 */
export function simIdle(sim: RunningSimulator, withinMs: number): Promise<number> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (sim.stats().active === 0) {
        cleanup();
        resolve(performance.now() - startedAt);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`simulator still has ${sim.stats().active} active request(s) after ${withinMs} ms`));
    }, withinMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      sim.events.off("request-end", check);
    };
    sim.events.on("request-end", check);
    check();
  });
}

/**
 * Resolves with the simulator's next "request-start" record for `path`. The
 * path matters: the gateway's health checks and catalogue polls hit the
 * simulator too, and a test that took one of those for its call would act
 * before the call had even reached the gateway.
 */
export function nextSimRequest(sim: RunningSimulator, path = "/api/chat"): Promise<RecordedRequest> {
  return new Promise((resolve) => {
    const onStart = (record: RecordedRequest): void => {
      if (record.path !== path) return;
      sim.events.off("request-start", onStart);
      resolve(record);
    };
    sim.events.on("request-start", onStart);
  });
}
