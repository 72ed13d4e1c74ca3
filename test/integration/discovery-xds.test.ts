/**
 * discovery.type: xds end to end: the gateway starts with no endpoints, gets
 * them from an (in-test) xDS control plane over ADS, serves calls on them,
 * and follows an update that moves the fleet to another backend.
 */
import { afterEach, expect, it } from "vitest";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { collect, startTestGateway, type TestGateway } from "../support/harness.js";
import { FakeXdsServer } from "../support/xds-server.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const lb = (url: string) => {
  const { hostname, port } = new URL(url);
  return { endpoint: { address: { socket_address: { address: hostname, port_value: Number(port) } } }, health_status: "HEALTHY" };
};

it("serves calls on the endpoints an xDS control plane assigns, and follows updates", async () => {
  const sims: RunningSimulator[] = [await startSimulator(), await startSimulator()];
  cleanups.push(() => Promise.all(sims.map((s) => s.close())));
  const xds = await FakeXdsServer.start();
  cleanups.push(() => xds.close());
  const gateway: TestGateway = await startTestGateway([], (config) => {
    config.discovery.type = "xds";
    config.discovery.xds = { server: xds.address, cluster: "ollama", nodeId: "test-gateway" };
    config.discovery.endpointDefaults.maxConcurrency = 2;
  });
  cleanups.push(() => gateway.close());
  const chat = { model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "hi" }] };
  const endpoints = () => (gateway.gateway.fleet.status().endpoints as Array<{ url: string; draining: boolean }>).filter((e) => !e.draining).map((e) => e.url);

  // Before the control plane answers, a call waits in the queue; the assignment then serves it.
  const early = collect(gateway.client.chat(chat));
  await xds.request(0); // the subscription
  xds.push("v1", [{ cluster_name: "ollama", endpoints: [{ lb_endpoints: [lb(sims[0]!.url)] }] }]);
  const first = await early;
  expect(first.at(-1)).toMatchObject({ done: true, backend: new URL(sims[0]!.url).host });
  expect(endpoints()).toEqual([sims[0]!.url]);

  // An update moves the fleet to the second simulator.
  xds.push("v2", [{ cluster_name: "ollama", endpoints: [{ lb_endpoints: [lb(sims[1]!.url)] }] }]);
  await xds.request(2); // the ACK of v2 (after the ACK of v1)
  expect(endpoints()).toEqual([sims[1]!.url]);
  const second = await collect(gateway.client.chat(chat));
  expect(second.at(-1)!.backend).toBe(new URL(sims[1]!.url).host);
  const acks = xds.requests.filter((r) => r.response_nonce !== "").map((r) => r.version_info);
  expect(acks).toEqual(["v1", "v2"]);
});
