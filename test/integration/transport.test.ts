/**
 * HTTP/2 transport settings of the gRPC listener (config `transport`),
 * through the real gateway and a TCP proxy that counts the client's
 * connections: max_connection_age rotates connections without cutting a
 * stream that ends within the grace, and cuts one that outlives it;
 * max_concurrent_streams queues the extra stream on the client; the send
 * limit turns an oversized response into RESOURCE_EXHAUSTED.
 */
import { EventEmitter } from "node:events";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClientFactory, Status, type Channel } from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import type { Config } from "../../src/config/schema.js";
import type { SimulatorOptions } from "../../src/sim/index.js";
import { expectStatus } from "../support/errors.js";
import { caught, collect, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";

/** A TCP proxy in front of the gateway that numbers the connections it accepts and emits "open"/"close" with the number. */
class CountingProxy {
  readonly events = new EventEmitter();
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  accepted = 0;

  constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const id = ++this.accepted;
      const upstream = connect(targetPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      let closed = false;
      const close = () => {
        client.destroy();
        upstream.destroy();
        if (closed) return;
        closed = true;
        this.events.emit("close", id);
      };
      client.once("close", close);
      upstream.once("close", close);
      this.events.emit("open", id);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves when connection `id` has closed. */
  closed(id: number): Promise<void> {
    return new Promise((resolve) => {
      const onClose = (closedId: number) => {
        if (closedId !== id) return;
        this.events.off("close", onClose);
        resolve();
      };
      this.events.on("close", onClose);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

let fleet: TestFleet | undefined;
let proxy: CountingProxy | undefined;
let channel: Channel | undefined;
afterEach(async () => {
  channel?.close();
  await proxy?.close();
  await fleet?.close();
  fleet = proxy = channel = undefined;
});

/** A fleet with `transport` tuned, and a client whose every connection goes through a CountingProxy. */
async function start(sim: SimulatorOptions, transport: Partial<Config["transport"]>, tune?: (config: Config) => void) {
  fleet = await startTestFleet({ numParallel: 8, ...sim }, (config) => {
    Object.assign(config.transport, transport);
    tune?.(config);
  });
  proxy = new CountingProxy(fleet.gateway.port);
  channel = createChannel(await proxy.listen());
  const client = createClientFactory().use(errorDetailsClientMiddleware).create(OllamaServiceDefinition, channel);
  return { fleet, proxy, client };
}

describe("transport.max_connection_age", () => {
  it("with a grace longer than the stream: the stream completes, and the next call uses a new connection", async () => {
    // 12 chunks at 20/s: about 600 ms, twice the age (300 ms ± 10 %).
    const { client, proxy } = await start({ tokens: 12, tokensPerSecond: 20 }, { maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 10_000 });
    const firstClosed = proxy.closed(1);
    const startedAt = performance.now();
    const chunks = await collect(client.generate({ model: "llama3.2", prompt: "hello" }));
    expect(performance.now() - startedAt).toBeGreaterThan(330);
    expect(chunks.at(-1)?.done).toBe(true);
    expect(proxy.accepted).toBe(1);
    // GOAWAY was sent at ~300 ms; the server closes the connection once its last stream ended.
    await firstClosed;
    await client.getVersion({});
    expect(proxy.accepted).toBe(2);
  });

  it("with a short grace: a stream that outlives age + grace is cut, the client sees UNAVAILABLE, and the backend work stops", async () => {
    // 40 chunks at 20/s: about 2 s, far beyond 300 ms ± 10 % + 200 ms.
    const { client, fleet } = await start({ tokens: 40, tokensPerSecond: 20 }, { maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 200 });
    const received: unknown[] = [];
    const error = await caught(async () => {
      for await (const chunk of client.generate({ model: "llama3.2", prompt: "hello" })) received.push(chunk);
    });
    expectStatus(error, Status.UNAVAILABLE);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(40);
    await simIdle(fleet.sim, 5_000);
    expect(fleet.sim.stats()).toMatchObject({ abortedByClient: 1, completed: 0 });
    await client.getVersion({}); // the channel reconnects
  });
});

describe("transport.max_concurrent_streams", () => {
  /** Opens three streams on one channel; returns the order of "start" (reached the backend) and "end" events. */
  async function threeStreams(maxConcurrentStreams: number): Promise<string[]> {
    // The backend takes all three at once (the gateway's own per-backend limit would otherwise queue the third).
    const { client, fleet, proxy } = await start({ tokens: 6, tokensPerSecond: 20 }, { maxConcurrentStreams }, (config) => {
      config.backends = config.backends.map((backend) => ({ ...backend, maxConcurrency: 8 }));
    });
    await client.getVersion({}); // connected, SETTINGS exchanged
    const order: string[] = [];
    fleet.sim.events.on("request-start", (record: { path: string }) => {
      if (record.path === "/api/generate") order.push("start");
    });
    const streams = [1, 2, 3].map(async () => {
      const chunks = await collect(client.generate({ model: "llama3.2", prompt: "hello" }));
      order.push("end");
      return chunks.at(-1)?.done;
    });
    expect(await Promise.all(streams)).toEqual([true, true, true]);
    expect(proxy.accepted).toBe(1);
    return order;
  }

  it("with 2, a third stream on the same connection waits until one ends, then completes", async () => {
    const order = await threeStreams(2);
    expect(order.slice(0, 3)).toEqual(["start", "start", "end"]);
    expect(order.filter((event) => event === "start")).toHaveLength(3);
  });

  it("unset (0), the three streams run at once", async () => {
    expect(await threeStreams(0)).toEqual(["start", "start", "start", "end", "end", "end"]);
  });
});

describe("transport.max_send_message_bytes", () => {
  it("a response over the limit ends with RESOURCE_EXHAUSTED from grpc-js; one under it is sent", async () => {
    const { client } = await start({}, { maxSendMessageBytes: 64 * 1024 });
    // all-minilm: 384 floats (1,536 bytes) per vector; 10 fit, 100 do not.
    const small = await client.embed({ model: "all-minilm", input: Array.from({ length: 10 }, (_, i) => `text ${i}`) });
    expect(small.embeddings).toHaveLength(10);
    const error = await caught(() => client.embed({ model: "all-minilm", input: Array.from({ length: 100 }, (_, i) => `text ${i}`) }));
    expectStatus(error, Status.RESOURCE_EXHAUSTED);
    // grpc-js's own check, after the handler returned. With middleware/send-limit.ts in the chain the
    // message is instead "Embed response is N bytes, over the 65536-byte limit ...: send at most 42 inputs per call".
    expect((error as Error).message).toMatch(/Sent message larger than max \(\d+ vs\. 65536\)|Embed response is \d+ bytes, over the 65536-byte limit/);
  });
});
