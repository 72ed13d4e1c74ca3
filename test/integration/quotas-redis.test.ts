/**
 * Quotas shared through a real redis-server:
 * - two gateway processes admit, together, no more than the configured
 *   rate (not rate x replicas), and share concurrent-stream slots;
 * - a Redis outage follows the fail-open / fail-closed policy, never crashes
 *   the gateway, and limits apply again once Redis is back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClientFactory, Metadata, Status, type Channel } from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import { startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { startGatewayProcess, type GatewayProcess } from "../support/gateway-process.js";
import { caught, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";
import { quotasFrom } from "../support/quotas.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";

const RATE_KEY = "rate-key-5b1e";
const STREAMS_KEY = "streams-key-9c4d";
const as = (key: string) => ({ metadata: Metadata({ "x-api-key": key }) });
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

function clientOf(port: number): { client: ReturnType<typeof makeClient>; channel: Channel } {
  const channel = createChannel(`127.0.0.1:${port}`);
  return { client: makeClient(channel), channel };
}
function makeClient(channel: Channel) {
  return createClientFactory().use(errorDetailsClientMiddleware).create(OllamaServiceDefinition, channel);
}

describe("two gateway processes sharing one redis-server", () => {
  let sim: RunningSimulator;
  const replicas: GatewayProcess[] = [];
  const channels: Channel[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ tokens: 400, tokensPerSecond: 100, firstTokenMs: 0, defaultLoadMs: 0, numParallel: 4 });
    const config = {
      listen: "127.0.0.1:0",
      backends: [{ name: "sim", url: sim.url, max_concurrency: 4 }],
      admin: { listen: "127.0.0.1:0" },
      log: { level: "info" }, // startGatewayProcess reads the "gateway listening" line
      auth: {
        enabled: true,
        api_keys: [
          // 12 a minute refill one request every 5 s: the burst of 12 is about all a fast test can get.
          { name: "rate", sha256: hashApiKey(RATE_KEY), tenant: "t", limits: { request_rate: "12/m", burst: 12 } },
          { name: "streams", sha256: hashApiKey(STREAMS_KEY), tenant: "t", limits: { concurrent_streams: 2 } },
        ],
      },
      quotas: { store: "redis", redis: { url_env: "TEST_REDIS_URL", key_prefix: "replicas" } },
    };
    replicas.push(...(await Promise.all([0, 1].map(() => startGatewayProcess(config, { TEST_REDIS_URL: redis.url })))));
  }, 30_000);
  afterAll(async () => {
    for (const channel of channels) channel.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await sim.close();
  });

  it("the combined admitted rate stays within the limit, not limit x replicas", async () => {
    const [a, b] = replicas.map((r) => clientOf(r.port));
    channels.push(a!.channel, b!.channel);
    // Alternating calls, one at a time: the shared bucket admits its burst of 12 in total, 6 through each replica.
    const startedAt = performance.now();
    const outcomes: Array<{ replica: "a" | "b"; ok: boolean }> = [];
    for (let i = 0; i < 30; i++) {
      const replica = i % 2 === 0 ? "a" : "b";
      const error = await (replica === "a" ? a! : b!).client.getVersion({}, as(RATE_KEY)).then(() => undefined, (e: unknown) => e);
      if (error !== undefined) {
        expectStatus(error, Status.RESOURCE_EXHAUSTED);
        expect(errorInfoOf(error).reason).toBe("RATE_LIMITED");
      }
      outcomes.push({ replica, ok: error === undefined });
    }
    // Then 20 at once on both: atomic admission leaves nothing for a race to win.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a! : b!).client.getVersion({}, as(RATE_KEY)).then(() => true, () => false)),
    );
    const elapsedMs = performance.now() - startedAt;
    const admitted = outcomes.filter((o) => o.ok).length + burst.filter(Boolean).length;
    // Burst 12, plus one per 5 s of test time.
    expect(admitted).toBeGreaterThanOrEqual(12);
    expect(admitted).toBeLessThanOrEqual(12 + Math.floor(elapsedMs / 5_000));
    expect(outcomes.slice(0, 12).every((o) => o.ok)).toBe(true);
    const admittedA = outcomes.filter((o) => o.ok && o.replica === "a").length;
    // The rejections are counted in each replica's metrics, by principal.
    const metrics = await (await fetch(`http://127.0.0.1:${replicas[0]!.adminPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`ollama_grpc_quota_rejections_total\\{principal="rate",limit="request_rate"\\} ${15 - admittedA + burst.filter((ok, i) => !ok && i % 2 === 0).length}\\n`));
  });

  it("concurrent-stream slots are shared: two streams on one replica fill them for the other", async () => {
    const [a, b] = replicas.map((r) => clientOf(r.port));
    channels.push(a!.channel, b!.channel);
    const stop = new AbortController();
    const open = () => a!.client.generate({ model: "llama3.2", prompt: "long" }, { ...as(STREAMS_KEY), signal: stop.signal })[Symbol.asyncIterator]();
    const streams = [open(), open()];
    for (const stream of streams) expect((await stream.next()).done).toBe(false);
    const refused = await caught(async () => {
      for await (const _ of b!.client.generate({ model: "llama3.2", prompt: "third" }, as(STREAMS_KEY))) break;
    });
    expectStatus(refused, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(refused)).toMatchObject({ reason: "CONCURRENCY_LIMITED", metadata: { subject: "principal:streams" } });
    stop.abort();
    await simIdle(sim, 5_000);
    // Released on A (in its finally), so B admits again.
    const third = b!.client.generate({ model: "llama3.2", prompt: "third" }, { ...as(STREAMS_KEY), signal: AbortSignal.timeout(10_000) })[Symbol.asyncIterator]();
    expect((await third.next()).done).toBe(false);
    await third.return?.(undefined);
  });
});

describe("Redis outage", () => {
  let fleet: TestFleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const redisQuotas = (url: string, onStoreError: "open" | "closed") =>
    quotasFrom({ store: "redis", redis: { url, key_prefix: `outage-${onStoreError}` }, on_store_error: onStoreError, per_principal: { request_rate: "2/h", burst: 2 } });

  /** Calls until one is refused by the rate limit (Redis answering again), bounded. */
  async function untilRateLimited(client: TestFleet["client"], withinMs: number): Promise<void> {
    const deadline = performance.now() + withinMs;
    while (performance.now() < deadline) {
      const error = await client.getVersion({}).then(() => undefined, (e: unknown) => e);
      if (error !== undefined) {
        expectStatus(error, Status.RESOURCE_EXHAUSTED);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no RATE_LIMITED answer within ${withinMs} ms`);
  }

  it("fail-open: calls go on while Redis is down, failures are counted, and limits return with Redis", async () => {
    const own = await startRedis();
    fleet = await startTestFleet({ tokens: 2 }, (config) => {
      config.quotas = redisQuotas(own.url, "open");
    });
    await fleet.client.getVersion({});
    await fleet.client.getVersion({});
    expectStatus(await caught(() => fleet!.client.getVersion({})), Status.RESOURCE_EXHAUSTED);
    await own.stop();
    for (let i = 0; i < 5; i++) await fleet.client.getVersion({});
    const scrape = (await fleet.gateway.metrics.scrape()).body;
    expect(Number(/ollama_grpc_quota_store_errors_total\{operation="admit"\} (\d+)/.exec(scrape)?.[1])).toBeGreaterThanOrEqual(5);
    expect(fleet.logs.records.some((r) => String(r.msg).includes("quota store failed"))).toBe(true);
    // Back on the same port (empty: a fresh bucket of 2), the limit applies again once the client has reconnected.
    const back = await startRedis(own.port);
    try {
      await untilRateLimited(fleet.client, 10_000);
    } finally {
      await back.stop();
    }
  });

  it("fail-closed: with Redis unreachable the gateway starts, and calls get UNAVAILABLE with RetryInfo", async () => {
    fleet = await startTestFleet({ tokens: 2 }, (config) => {
      config.quotas = redisQuotas("redis://127.0.0.1:1", "closed");
    });
    expect(fleet.logs.records.some((r) => String(r.msg).includes("quota store is not reachable yet"))).toBe(true);
    const error = await caught(() => fleet!.client.getVersion({}));
    const details = expectStatus(error, Status.UNAVAILABLE);
    expect(errorInfoOf(error).reason).toBe("QUOTA_STORE_UNAVAILABLE");
    expect(details.map((d) => d.$type)).toContain("google.rpc.RetryInfo");
  });
});
