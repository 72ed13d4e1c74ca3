import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { ResolverListener } from "../../../src/upstream/resolver.js";
import { XdsResolver, type XdsResolverOptions } from "../../../src/upstream/resolver-xds.js";
import type { EndpointConfig } from "../../../src/upstream/types.js";
import { EDS_TYPE_URL } from "../../../src/upstream/xds-protos.js";
import { EventWaits } from "../../support/event-waits.js";
import { FakeClock, flushMicrotasks } from "../../support/fake-clock.js";
import { unusedPort } from "../../support/ports.js";
import { FakeXdsServer, type ClusterLoadAssignment } from "../../support/xds-server.js";

// A real grpc-js control plane on 127.0.0.1 and a real ADS stream; only the
// resolver's reconnect timers run on a FakeClock. Every wait resolves on an
// event of the fake server or of the listener, bounded by WAIT_MS.

const WAIT_MS = 5_000;
const CLUSTER = "ollama";

/** Records what the resolver delivers; `list(n)` / `error(n)` wait for the n-th (0-based) delivery. */
class Recorder implements ResolverListener {
  readonly lists: EndpointConfig[][] = [];
  readonly errors: Error[] = [];
  readonly #waits = new EventWaits(WAIT_MS);

  onEndpoints(endpoints: EndpointConfig[]): void {
    this.lists.push(endpoints);
    this.#waits.notify();
  }

  onError(error: Error): void {
    this.errors.push(error);
    this.#waits.notify();
  }

  list(index: number): Promise<EndpointConfig[]> {
    return this.#waits.until(`endpoint list #${index}`, () => this.lists[index]);
  }

  error(index: number): Promise<Error> {
    return this.#waits.until(`error #${index}`, () => this.errors[index]);
  }

}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function setup(overrides: Partial<XdsResolverOptions> = {}) {
  const xds = await FakeXdsServer.start({ timeoutMs: WAIT_MS });
  cleanups.push(() => xds.close());
  const clock = new FakeClock();
  const resolver = new XdsResolver({
    server: xds.address,
    cluster: CLUSTER,
    nodeId: "gateway-1",
    template: { scheme: "http", maxConcurrency: 2, labels: { pool: "fleet" } },
    clock,
    random: () => 0.5,
    ...overrides,
  });
  cleanups.push(() => resolver.stop());
  const recorder = new Recorder();
  resolver.start(recorder);
  return { xds, clock, resolver, recorder };
}

/** One LbEndpoint at `address:port`; `extra` adds health_status, load_balancing_weight, metadata. */
function lb(address: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

function cla(...groups: Array<Record<string, unknown>>): ClusterLoadAssignment {
  return { cluster_name: CLUSTER, endpoints: groups };
}

/** What the resolver makes of an endpoint; `overrides` replace the defaults of this file's template. */
function expected(name: string, overrides: Partial<EndpointConfig> = {}): EndpointConfig {
  return { name, url: `http://${name}`, weight: 1, priority: 0, locality: "", labels: { pool: "fleet" }, maxConcurrency: 2, ...overrides };
}

const v1 = cla(
  {
    locality: { region: "eu-west-1", zone: "eu-west-1a", sub_zone: "rack-7" },
    priority: 0,
    load_balancing_weight: { value: 10 },
    lb_endpoints: [
      lb("10.0.0.1", 11434, {
        health_status: "HEALTHY",
        load_balancing_weight: { value: 3 },
        metadata: {
          filter_metadata: {
            "envoy.lb": { fields: { gpu: { stringValue: "a100" }, pool: { stringValue: "gpu" }, vram: { numberValue: 80 } } },
          },
        },
      }),
      lb("10.0.0.2", 11434),
    ],
  },
  { locality: { region: "eu-west-1", zone: "", sub_zone: "cpu" }, priority: 1, lb_endpoints: [lb("fd00::5", 11434, { health_status: "DEGRADED" })] },
);

const v1Endpoints: EndpointConfig[] = [
  expected("10.0.0.1:11434", { weight: 3, locality: "eu-west-1/eu-west-1a/rack-7", labels: { gpu: "a100", pool: "gpu" } }),
  expected("10.0.0.2:11434", { locality: "eu-west-1/eu-west-1a/rack-7" }),
  expected("[fd00::5]:11434", { priority: 1, locality: "eu-west-1/cpu" }),
];

describe("XdsResolver subscription and mapping", () => {
  it("subscribes with the node, delivers the first assignment, and ACKs its version and nonce", async () => {
    const { xds, recorder } = await setup();
    expect(await xds.request(0)).toMatchObject({
      stream: 0,
      version_info: "",
      node: { id: "gateway-1", user_agent_name: "ollama-grpc-gateway" },
      resource_names: [CLUSTER],
      type_url: EDS_TYPE_URL,
      response_nonce: "",
      error_detail: null,
    });
    expect(recorder.lists).toEqual([]);

    const nonce = xds.push("v1", [v1]);
    expect(await recorder.list(0)).toEqual(v1Endpoints);
    // Only the stream's first request carries the node.
    expect(await xds.request(1)).toMatchObject({
      stream: 0,
      version_info: "v1",
      node: null,
      resource_names: [CLUSTER],
      type_url: EDS_TYPE_URL,
      response_nonce: nonce,
      error_detail: null,
    });
    expect(recorder.errors).toEqual([]);
  });

  it("leaves out UNHEALTHY, DRAINING and TIMEOUT endpoints and keeps UNKNOWN, HEALTHY and DEGRADED", async () => {
    const statuses = ["UNKNOWN", "HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED"] as const;
    const { xds, recorder } = await setup();
    await xds.request(0);
    xds.push("v1", [cla({ lb_endpoints: statuses.map((health_status, i) => lb(`10.0.1.${i}`, 80, { health_status })) })]);
    const names = (await recorder.list(0)).map((endpoint) => endpoint.name);
    expect(names).toEqual(["10.0.1.0:80", "10.0.1.1:80", "10.0.1.5:80"]);
  });

  it("delivers each change as a complete list, and nothing for an unchanged one or another cluster's", async () => {
    const { xds, recorder } = await setup({ template: { scheme: "https", maxConcurrency: 4, labels: {} } });
    await xds.request(0);
    xds.push("v1", [cla({ lb_endpoints: [lb("10.0.0.1", 11434), lb("10.0.0.2", 11434)] })]);
    await recorder.list(0);
    await xds.request(1);

    // Endpoint added, a weight changed, one marked UNHEALTHY.
    xds.push("v2", [
      cla({
        lb_endpoints: [
          lb("10.0.0.1", 11434, { load_balancing_weight: { value: 5 } }),
          lb("10.0.0.2", 11434, { health_status: "UNHEALTHY" }),
          lb("10.0.0.3", 11434),
        ],
      }),
    ]);
    const https = (name: string, weight = 1): EndpointConfig => ({ ...expected(name, { weight, labels: {} }), url: `https://${name}`, maxConcurrency: 4 });
    expect(await recorder.list(1)).toEqual([https("10.0.0.1:11434", 5), https("10.0.0.3:11434")]);
    expect(await xds.request(2)).toMatchObject({ version_info: "v2" });

    // Same endpoints in another order, then a response naming only another cluster: both ACKed, neither delivered.
    const reordered = xds.push("v3", [
      cla({ lb_endpoints: [lb("10.0.0.3", 11434), lb("10.0.0.1", 11434, { load_balancing_weight: { value: 5 } })] }),
    ]);
    expect(await xds.request(3)).toMatchObject({ version_info: "v3", response_nonce: reordered, error_detail: null });
    const other = xds.push("v4", [{ cluster_name: "other", endpoints: [{ lb_endpoints: [lb("10.9.9.9", 1)] }] }]);
    expect(await xds.request(4)).toMatchObject({ version_info: "v4", response_nonce: other, error_detail: null });
    // The ACK is written after delivery, so by now any delivery would have happened.
    expect(recorder.lists).toHaveLength(2);
    expect(recorder.errors).toEqual([]);
  });
});

describe("XdsResolver NACKs", () => {
  const socket = (socket_address: Record<string, unknown>) => ({ endpoint: { address: { socket_address } } });
  const cases: ReadonlyArray<{
    readonly name: string;
    readonly push: (xds: FakeXdsServer, version: string) => string;
    readonly detail: string;
  }> = [
    {
      name: "bytes that do not decode",
      push: (xds, version) => xds.push(version, [], { raw: [{ type_url: EDS_TYPE_URL, value: Uint8Array.from([0x12, 0x05, 0x0a]) }] }),
      detail: "resources[0]: malformed ClusterLoadAssignment",
    },
    {
      name: "a resource of another type",
      push: (xds, version) =>
        xds.push(version, [], { raw: [{ type_url: "type.googleapis.com/envoy.config.cluster.v3.Cluster", value: new Uint8Array() }] }),
      detail: 'resources[0]: unexpected type_url "type.googleapis.com/envoy.config.cluster.v3.Cluster"',
    },
    {
      name: "a response of another type",
      push: (xds, version) => xds.push(version, [cla()], { typeUrl: "type.googleapis.com/envoy.config.listener.v3.Listener" }),
      detail: 'unexpected type_url "type.googleapis.com/envoy.config.listener.v3.Listener"',
    },
    {
      name: "port 0",
      push: (xds, version) => xds.push(version, [cla({ lb_endpoints: [lb("10.0.0.9", 0)] })]),
      detail: "resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: expected 1..65535, got 0",
    },
    {
      name: "a named port",
      push: (xds, version) => xds.push(version, [cla({ lb_endpoints: [socket({ address: "10.0.0.9", named_port: "http" })] })]),
      detail: "resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address: expected a port_value (named ports are not supported)",
    },
    {
      name: "an empty host",
      push: (xds, version) => xds.push(version, [cla({ lb_endpoints: [lb("", 80)] })]),
      detail: "resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: expected a host",
    },
    {
      name: "a pipe address",
      push: (xds, version) => xds.push(version, [cla({ lb_endpoints: [{ endpoint: { address: { pipe: { path: "/tmp/s" } } } }] })]),
      detail: "resources[0].endpoints[0].lb_endpoints[0].endpoint.address: expected a socket_address",
    },
    {
      name: "an endpoint weight of 0",
      push: (xds, version) => xds.push(version, [cla({ lb_endpoints: [lb("10.0.0.9", 80, { load_balancing_weight: { value: 0 } })] })]),
      detail: "resources[0].endpoints[0].lb_endpoints[0].load_balancing_weight: expected >= 1, got 0",
    },
    {
      name: "a duplicate endpoint (even an unhealthy one)",
      push: (xds, version) =>
        xds.push(version, [cla({ lb_endpoints: [lb("10.0.0.9", 80)] }, { priority: 1, lb_endpoints: [lb("10.0.0.9", 80, { health_status: "DRAINING" })] })]),
      detail: "resources[0].endpoints[1].lb_endpoints[0]: duplicate endpoint 10.0.0.9:80",
    },
    {
      name: "the cluster twice",
      push: (xds, version) => xds.push(version, [cla(), cla()]),
      detail: 'resources[1]: "ollama" appears twice',
    },
  ];

  it("rejects each invalid response with the last accepted version, its nonce and error_detail, keeping the list", async () => {
    const { xds, recorder } = await setup();
    await xds.request(0);
    xds.push("v1", [v1]);
    await recorder.list(0);
    await xds.request(1);

    for (const [index, testCase] of cases.entries()) {
      const nonce = testCase.push(xds, `bad-${index}`);
      const nack = await xds.request(2 + index);
      expect(nack, testCase.name).toMatchObject({ version_info: "v1", response_nonce: nonce, resource_names: [CLUSTER], type_url: EDS_TYPE_URL });
      expect(nack.error_detail?.code, testCase.name).toBe(grpc.status.INVALID_ARGUMENT);
      expect(nack.error_detail?.message, testCase.name).toContain(testCase.detail);
      expect((await recorder.error(index)).message, testCase.name).toContain(`version "bad-${index}": ${testCase.detail}`);
    }
    expect(recorder.lists).toHaveLength(1);

    // The list in force is still v1's: the same assignment again is no change; a new one is delivered.
    xds.push("v1-again", [v1]);
    expect(await xds.request(2 + cases.length)).toMatchObject({ version_info: "v1-again", error_detail: null });
    expect(recorder.lists).toHaveLength(1);
    xds.push("v2", [cla({ lb_endpoints: [lb("10.0.0.1", 11434)] })]);
    expect(await recorder.list(1)).toEqual([expected("10.0.0.1:11434")]);
    expect(xds.streams).toBe(1);
  });
});

describe("XdsResolver stream failures", () => {
  it("reports a dropped stream, keeps the list, and resubscribes after a backoff on the clock", async () => {
    const { xds, clock, recorder } = await setup();
    await xds.request(0);
    xds.push("v1", [v1]);
    await recorder.list(0);
    await xds.request(1);

    xds.dropStreams(grpc.status.UNAVAILABLE);
    expect((await recorder.error(0)).message).toContain("dropped by the test");
    // Full jitter with random 0.5: attempt 0 waits half of the 1 s base.
    expect(clock.nextDue()).toBe(500);
    clock.advance(499);
    expect(xds.streams).toBe(1);
    clock.advance(1);
    // The new stream announces the node again and the version it holds.
    expect(await xds.request(2)).toMatchObject({
      stream: 1,
      version_info: "v1",
      node: { id: "gateway-1", user_agent_name: "ollama-grpc-gateway" },
      resource_names: [CLUSTER],
      response_nonce: "",
    });

    // A stream that ends before any response backs off further (ceiling 2 s); a clean end is an error too.
    xds.dropStreams(grpc.status.OK);
    expect((await recorder.error(1)).message).toContain("ended by the server");
    expect(clock.nextDue()).toBe(500 + 1_000);
    clock.advance(1_000);
    expect(await xds.request(3)).toMatchObject({ stream: 2, version_info: "v1" });
    expect(recorder.lists).toHaveLength(1);

    const nonce = xds.push("v2", [cla({ priority: 2, lb_endpoints: [lb("10.0.0.7", 11434)] })]);
    expect(await recorder.list(1)).toEqual([expected("10.0.0.7:11434", { priority: 2 })]);
    expect(await xds.request(4)).toMatchObject({ stream: 2, version_info: "v2", response_nonce: nonce });

    // A response resets the backoff.
    xds.dropStreams();
    await recorder.error(2);
    expect(clock.nextDue()).toBe(clock.now() + 500);
  });

  it("reports a control plane that refuses connections and keeps retrying", async () => {
    const port = await unusedPort();
    const { clock, recorder } = await setup({ server: `127.0.0.1:${port}` });
    expect((await recorder.error(0)).message).toMatch(/UNAVAILABLE|ECONNREFUSED/);
    expect(clock.pending()).toBe(1);
    clock.advance(clock.nextDue()! - clock.now());
    await recorder.error(1);
    expect(recorder.lists).toEqual([]);
  });
});

describe("XdsResolver.stop", () => {
  it("cancels the stream and delivers nothing afterwards", async () => {
    const { xds, clock, resolver, recorder } = await setup();
    await xds.request(0);
    xds.push("v1", [v1]);
    await recorder.list(0);
    await xds.request(1);

    resolver.stop();
    // Still open on the server's side until the cancellation arrives.
    xds.push("v2", [cla({ lb_endpoints: [lb("10.0.0.8", 1)] })]);
    await xds.clientEnded(0);
    await flushMicrotasks();
    expect(recorder.lists).toHaveLength(1);
    expect(recorder.errors).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(xds.requests).toHaveLength(2);
    resolver.stop();
  });

  it("clears a pending reconnection", async () => {
    const { xds, clock, resolver, recorder } = await setup();
    await xds.request(0);
    xds.dropStreams();
    await recorder.error(0);
    expect(clock.pending()).toBe(1);
    resolver.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(xds.streams).toBe(1);
    expect(() => resolver.start(recorder)).toThrow(/only once/);
  });
});

describe("XdsResolver options", () => {
  const base: XdsResolverOptions = { server: "127.0.0.1:1", cluster: CLUSTER, nodeId: "n", template: { scheme: "http", maxConcurrency: 1, labels: {} } };
  const cases: ReadonlyArray<readonly [Partial<XdsResolverOptions>, string]> = [
    [{ server: "" }, "xds.server: expected a non-empty string"],
    [{ cluster: " " }, "xds.cluster: expected a non-empty string"],
    [{ nodeId: "" }, "xds.nodeId: expected a non-empty string"],
    [{ template: { scheme: "http", maxConcurrency: 0, labels: {} } }, "xds.template.maxConcurrency: expected an integer > 0"],
    [{ backoff: { baseMs: 0, maxMs: 10 } }, "xds.backoff.baseMs: expected a finite number > 0"],
    [{ backoff: { baseMs: 100, maxMs: 10 } }, "xds.backoff.maxMs: expected a finite number >= baseMs (100)"],
  ];

  it.each(cases)("rejects %o", (overrides, message) => {
    expect(() => new XdsResolver({ ...base, ...overrides })).toThrow(message);
  });
});
