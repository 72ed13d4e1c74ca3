/**
 * Auth through the real gateway (startGateway with auth enabled) in front of
 * a simulator: the access log names the principal and never the key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata, Status, createClient } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { caught, collect, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";

const KEY = "e2e-key-3f9a1c";
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 3 }, (config) => {
    config.auth = {
      ...config.auth,
      enabled: true,
      apiKeys: [{ name: "e2e", sha256: hashApiKey(KEY), tenant: "team-e", scopes: [], models: ["llama3*"] }],
    };
  });
});
afterAll(async () => {
  await fleet.close();
});

const auth = { metadata: Metadata({ authorization: `Bearer ${KEY}` }) };
const user = [{ role: Role.ROLE_USER, content: "hi" }];

describe("auth end to end", () => {
  it("authenticated calls stream; the access log names the principal, never the key", async () => {
    const messages = await collect(fleet.client.chat({ model: "llama3.2", messages: user }, auth));
    expect(messages.at(-1)?.done).toBe(true);
    const line = fleet.logs.records.find((r) => r.msg === "rpc" && r.method === "/ollama.v1.OllamaService/Chat");
    expect(line).toMatchObject({ principal: "e2e", tenant: "team-e", code: "OK" });
  });

  it("no credentials: UNAUTHENTICATED, logged with the reason", async () => {
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" })));
    expectStatus(error, Status.UNAUTHENTICATED);
    expect(errorInfoOf(error).reason).toBe("UNAUTHENTICATED");
    const line = fleet.logs.records.find((r) => r.msg === "rpc" && r.method === "/ollama.v1.OllamaService/Generate" && r.code === "UNAUTHENTICATED");
    expect(line).toMatchObject({ errorReason: "UNAUTHENTICATED", authFailure: "no x-api-key or authorization metadata" });
  });

  it("a model outside the globs is PERMISSION_DENIED; a wrong key is never logged", async () => {
    const denied = await caught(() => collect(fleet.client.chat({ model: "mistral", messages: user }, auth)));
    expectStatus(denied, Status.PERMISSION_DENIED);
    await caught(() => fleet.client.listModels({}, { metadata: Metadata({ "x-api-key": `${KEY}-typo` }) }));
    expect(fleet.logs.text()).not.toContain(KEY);
  });

  it("health stays open", async () => {
    expect(await createClient(HealthDefinition, fleet.channel).check({ service: "" })).toEqual({ status: 1 });
  });

  it("listings are filtered", async () => {
    const models = await fleet.client.listModels({}, auth);
    expect(models.models.length).toBeGreaterThan(0);
    expect(models.models.every((m) => m.name.startsWith("llama3"))).toBe(true);
  });
});
