/**
 * Optional: the same guarantees against a real Ollama. Runs only when
 * OLLAMA_URL is set (e.g. OLLAMA_URL=http://127.0.0.1:11434
 * OLLAMA_MODEL=llama3.2 npx vitest run test/real-ollama); the model must be
 * pulled already. Skipped in CI, which has no Ollama.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { caught, collect, startTestGateway, type TestGateway } from "../support/harness.js";
import { expectStatus } from "../support/errors.js";

const url = process.env.OLLAMA_URL;
const model = process.env.OLLAMA_MODEL ?? "llama3.2";

describe.skipIf(url === undefined)(`real Ollama at ${url ?? "(OLLAMA_URL unset)"}`, () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway([url as string]);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("streams a Chat answer token by token with usage and timings", { timeout: 120_000 }, async () => {
    const messages = await collect(
      gateway.client.chat({
        model,
        messages: [{ role: Role.ROLE_USER, content: "Count from 1 to 5, digits only." }],
        options: { temperature: 0, numPredict: 32 },
      }),
    );
    expect(messages.length).toBeGreaterThan(2);
    const final = messages.at(-1)!;
    expect(final).toMatchObject({ done: true, backend: "b1" });
    expect(final.usage?.evalCount).toBeGreaterThan(0);
    expect(final.timings?.totalDuration).toBeDefined();
  });

  it("streams Generate and honours num_predict", { timeout: 120_000 }, async () => {
    const messages = await collect(gateway.client.generate({ model, prompt: "Write a long poem.", options: { numPredict: 5 } }));
    expect(messages.at(-1)).toMatchObject({ done: true, doneReason: "length" });
  });

  it("maps an unknown model to NOT_FOUND", async () => {
    const error = await caught(() => collect(gateway.client.generate({ model: "no-such-model-xyz", prompt: "hi" })));
    expectStatus(error, Status.NOT_FOUND);
  });

  it("a deadline mid-generation ends the call with DEADLINE_EXCEEDED and the next call still works", { timeout: 120_000 }, async () => {
    await collect(gateway.client.generate({ model, prompt: "", keepAlive: { seconds: 300, nanos: 0 } })); // load first
    const error = await caught(() => collect(gateway.client.generate({ model, prompt: "Write a very long essay." }, { deadline: new Date(Date.now() + 1_500) })));
    expectStatus(error, Status.DEADLINE_EXCEEDED);
    const after = await collect(gateway.client.generate({ model, prompt: "Say hi.", options: { numPredict: 3 } }));
    expect(after.at(-1)!.done).toBe(true);
  });

  it("lists the backend's models", async () => {
    const response = await gateway.client.listModels({});
    expect(response.backends).toEqual([{ backend: "b1", reachable: true, error: "" }]);
    expect(response.models.some((m) => m.name.startsWith(model))).toBe(true);
  });
});

/**
 * The Ollama door against the real thing: the same requests to Ollama and
 * through the gateway give the same status and the same JSON keys in the same
 * order on every line (the values differ: the model samples, the clock runs).
 */
describe.skipIf(url === undefined)(`the Ollama HTTP door in front of real Ollama at ${url ?? "(OLLAMA_URL unset)"}`, () => {
  let gateway: TestGateway;
  let base: string;
  beforeAll(async () => {
    gateway = await startTestGateway([url as string], (config) => {
      config.http.listen = "127.0.0.1:0";
    });
    base = `http://127.0.0.1:${gateway.gateway.httpPort}`;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  /** Each line's keys, recursively, in order: the shape of an NDJSON or JSON body. */
  const shape = (text: string) =>
    text.trim().split("\n").map((line) => {
      const keys = (value: unknown): unknown =>
        value !== null && typeof value === "object" && !Array.isArray(value) ? Object.entries(value).map(([k, v]) => [k, keys(v)]) : typeof value;
      return keys(JSON.parse(line));
    });
  const post = async (host: string, path: string, body: unknown) => {
    const response = await fetch(`${host}${path}`, { method: "POST", body: JSON.stringify(body) });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  };

  it.each([
    ["/api/chat", { model, messages: [{ role: "user", content: "Say hi." }], options: { num_predict: 4, temperature: 0 }, stream: false }],
    ["/api/generate", { model, prompt: "Say hi.", options: { num_predict: 4, temperature: 0 }, stream: false }],
    ["/api/chat", { model: "no-such-model-xyz", messages: [{ role: "user", content: "hi" }] }],
    ["/api/show", { model }],
  ])("%s answers with Ollama's status, content type and keys", { timeout: 120_000 }, async (path, body) => {
    const direct = await post(url as string, path, body);
    const through = await post(base, path, body);
    expect({ status: through.status, type: through.type }).toEqual({ status: direct.status, type: direct.type });
    expect(shape(through.text)).toEqual(shape(direct.text));
  });
});
