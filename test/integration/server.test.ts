/**
 * Server plumbing: grpc.health.v1, reflection (what grpcurl uses), and
 * graceful shutdown: drain in-flight streams, abort them after the drain
 * timeout (aborting Ollama too), and never hang on open health watches.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, Status } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { HealthCheckResponse_ServingStatus } from "nice-grpc-server-health/lib/proto/grpc/health/v1/health.js";
import { ServerReflectionService } from "nice-grpc-server-reflection";
import { ServerReflectionRequest } from "nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { caught, collect, nextSimRequest, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const chat = { model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "hello" }] };

describe("health", () => {
  it("reports SERVING overall and for ollama.v1.OllamaService, NOT_FOUND for unknown services", async () => {
    fleet = await startTestFleet();
    const channel = createChannel(fleet.target);
    const health = createClient(HealthDefinition, channel);
    try {
      expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await health.check({ service: "ollama.v1.OllamaService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expectStatus(await caught(() => health.check({ service: "nope.v1.Nope" })), Status.NOT_FOUND);
    } finally {
      channel.close();
    }
  });
});

describe("reflection", () => {
  it("lists the service and serves its descriptor with imports", async () => {
    fleet = await startTestFleet();
    const channel = createChannel(fleet.target);
    const reflection = createClient(ServerReflectionService, channel);
    try {
      async function* requests() {
        const list = new ServerReflectionRequest();
        list.setListServices("");
        yield list;
        const symbol = new ServerReflectionRequest();
        symbol.setFileContainingSymbol("ollama.v1.OllamaService");
        yield symbol;
      }
      const responses = await collect(reflection.serverReflectionInfo(requests()));
      const services = responses[0]!.getListServicesResponse()!.getServiceList().map((s) => s.getName());
      expect(services).toEqual(["ollama.v1.OllamaService"]);
      const files = responses[1]!
        .getFileDescriptorResponse()!
        .getFileDescriptorProtoList_asU8()
        .map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
      expect(files).toContain("ollama/v1/ollama.proto");
    } finally {
      channel.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("lets an in-flight stream finish, marks health NOT_SERVING and refuses new calls", async () => {
    fleet = await startTestFleet({ tokens: 15, tokensPerSecond: 50 });
    const stream = collect(fleet.client.chat(chat));
    await nextSimRequest(fleet.sim);
    const closing = fleet.gateway.close();
    expect(fleet.gateway.server.health.getStatus("")).toBe("unhealthy");
    const messages = await stream;
    expect(messages.at(-1)).toMatchObject({ done: true, doneReason: "stop" });
    expect(messages).toHaveLength(16);
    await closing;
    expectStatus(await caught(() => collect(fleet!.client.chat(chat))), Status.UNAVAILABLE);
  });

  it("aborts streams still running when the drain timeout expires, with UNAVAILABLE, and aborts Ollama", async () => {
    fleet = await startTestFleet({ tokens: 1_000, tokensPerSecond: 50 }, (config) => {
      config.streams.drainTimeoutMs = 200;
    });
    const received: unknown[] = [];
    const stream = caught(async () => {
      for await (const message of fleet!.client.chat(chat)) received.push(message);
    });
    await nextSimRequest(fleet.sim);
    const startedAt = performance.now();
    await fleet.gateway.close();
    expect(performance.now() - startedAt).toBeLessThan(1_500);
    const error = await stream;
    expectStatus(error, Status.UNAVAILABLE);
    expect(errorInfoOf(error).reason).toBe("SERVER_SHUTTING_DOWN");
    expect(received.length).toBeGreaterThan(0);
    await simIdle(fleet.sim, 100);
  });

  it("does not hang on an open health Watch", async () => {
    fleet = await startTestFleet({}, (config) => {
      config.streams.drainTimeoutMs = 10_000;
    });
    const channel = createChannel(fleet.target);
    const health = createClient(HealthDefinition, channel);
    const watch = caught(async () => {
      for await (const _ of health.watch({ service: "" })) {
        // keeps the stream open
      }
    }).catch(() => undefined);
    const first = health.check({ service: "" });
    await first;
    const startedAt = performance.now();
    await fleet.gateway.close();
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    channel.close();
    await watch;
  });
});

describe("start-up failure", () => {
  it("a gateway whose admin port is taken fails to start and leaves its gRPC port free", async () => {
    const { createServer } = await import("node:net");
    const { unusedPort } = await import("../support/ports.js");
    const { startTestGateway } = await import("../support/harness.js");
    const occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
    const grpcPort = await unusedPort();
    try {
      const failure = await caught(() =>
        startTestGateway(["http://127.0.0.1:1"], (config) => {
          config.listen = `127.0.0.1:${grpcPort}`;
          config.admin.listen = `127.0.0.1:${(occupied.address() as { port: number }).port}`;
        }),
      );
      expect(String(failure)).toMatch(/EADDRINUSE/);
      const again = createServer();
      await new Promise<void>((resolve, reject) => again.once("error", reject).listen(grpcPort, "127.0.0.1", resolve));
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => occupied.close(resolve));
    }
  });
});
