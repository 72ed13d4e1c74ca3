/**
 * The Ollama simulator over real loopback sockets, with plain HTTP requests.
 * Ordering relies on the simulator's events ("request-queued", "request-end")
 * and on reading stream lines, never on sleeps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RUNNER_CRASH_MESSAGE, startSimulator } from "../../src/sim/index.js";
import type { RequestEnd, RequestQueued, RunningSimulator, SimulatorOptions } from "../../src/sim/index.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A fast simulator: no pacing, no load cost unless asked for. */
async function simulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ firstTokenMs: 0, tokensPerSecond: 0, defaultLoadMs: 0, ...options });
  running.push(sim);
  return sim;
}

function post(sim: RunningSimulator, path: string, body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal; method?: string } = {}) {
  return fetch(`${sim.url}${path}`, {
    method: init.method ?? "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: init.headers,
    signal: init.signal,
  });
}

/** Parses an NDJSON body; asserts every line is terminated. */
async function ndjson(res: Response): Promise<Json[]> {
  const text = await res.text();
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as Json);
}

/** Reads a streaming body until `count` complete lines arrived (bounded by the stream's own end). */
async function firstLines(res: Response, count: number): Promise<string[]> {
  const reader = res.body?.getReader();
  if (reader === undefined) throw new Error("no body");
  const decoder = new TextDecoder();
  let text = "";
  for (let reads = 0; reads < 10_000 && text.split("\n").length <= count; reads++) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split("\n").slice(0, count);
}

/** Resolves with the first payload of `event` that satisfies `match`. */
function nextEvent<T>(sim: RunningSimulator, event: string, match: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (payload: T) => {
      if (!match(payload)) return;
      sim.events.off(event, listener);
      resolve(payload);
    };
    sim.events.on(event, listener);
  });
}

/** The id of the next request whose body has `marker` as its prompt. */
function idOf(sim: RunningSimulator, marker: string): Promise<number> {
  return nextEvent<{ id: number; body: unknown }>(sim, "request-start", (r) => (r.body as Json | undefined)?.prompt === marker).then(
    (r) => r.id,
  );
}

/**
 * Follows the next request whose prompt is `marker`: its id, and its end. Both
 * listeners are attached before the request is sent, so no event can be missed.
 */
function track(sim: RunningSimulator, marker: string): { id: Promise<number>; end: Promise<RequestEnd> } {
  const id = idOf(sim, marker);
  const end = new Promise<RequestEnd>((resolve) => {
    const listener = (event: RequestEnd) => {
      void id.then((mine) => {
        if (event.id !== mine) return;
        sim.events.off("request-end", listener);
        resolve(event);
      });
    };
    sim.events.on("request-end", listener);
  });
  return { id, end };
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] },
  },
};

describe("streaming framing", () => {
  it("streams generate as NDJSON ending with a done line carrying metrics and context", async () => {
    const sim = await simulator({ tokens: 5, defaultLoadMs: 5 });
    const res = await post(sim, "/api/generate", { model: "LLama3.2", prompt: "Why is the sky blue?" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await ndjson(res);
    expect(lines).toHaveLength(6);
    for (const chunk of lines.slice(0, -1)) {
      expect(Object.keys(chunk)).toEqual(["model", "created_at", "response", "done"]);
      expect(chunk.model).toBe("LLama3.2");
      expect(chunk.created_at).toMatch(RFC3339_UTC);
      expect(chunk.response).not.toBe("");
    }
    const final = lines.at(-1) ?? {};
    expect(final).toMatchObject({ model: "LLama3.2", response: "", done: true, done_reason: "stop", eval_count: 5 });
    for (const key of ["total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration"]) {
      expect(Number.isInteger(final[key]) && final[key] > 0, key).toBe(true);
    }
    expect(final.total_duration).toBeGreaterThanOrEqual(final.load_duration);
    expect(Array.isArray(final.context) && final.context.length > 0).toBe(true);
  });

  it("streams chat as assistant messages without context", async () => {
    const sim = await simulator({ tokens: 3 });
    const lines = await ndjson(await post(sim, "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "hi" }] }));
    expect(lines).toHaveLength(4);
    for (const chunk of lines.slice(0, -1)) {
      expect(chunk).toMatchObject({ model: "llama3.2", done: false, message: { role: "assistant" } });
      expect(chunk.message.content).not.toBe("");
    }
    const final = lines.at(-1) ?? {};
    expect(final).toMatchObject({ done: true, done_reason: "stop", message: { role: "assistant", content: "" } });
    expect(final.context).toBeUndefined();
  });

  it("answers stream:false with one JSON object holding the whole, deterministic text", async () => {
    const sim = await simulator();
    const body = { model: "llama3.2", prompt: "same prompt" };
    const streamed = (await ndjson(await post(sim, "/api/generate", body))).map((l) => l.response).join("");
    const res = await post(sim, "/api/generate", { ...body, stream: false });
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const whole = (await res.json()) as Json;
    expect(whole).toMatchObject({ model: "llama3.2", response: streamed, done: true, done_reason: "stop" });
    const reseeded = (await (await post(sim, "/api/generate", { ...body, stream: false, options: { seed: 9 } })).json()) as Json;
    expect(reseeded.response).not.toBe(streamed);
  });

  it("sends no bytes before the first chunk is ready", async () => {
    const sim = await simulator({ firstTokenMs: 150, tokens: 1 });
    const started = performance.now();
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "wait" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await res.text();
  });

  it("cuts the answer at num_predict with done_reason length", async () => {
    const sim = await simulator({ tokens: 10 });
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "x", stream: false, options: { num_predict: 3 } });
    expect(await res.json()).toMatchObject({ done_reason: "length", eval_count: 3 });
  });
});

describe("errors before the first byte", () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    ["empty body", "/api/generate", "", 400, "missing request body"],
    ["bad JSON", "/api/chat", "{model:", 400, "invalid character 'm' looking for beginning of object key string"],
    ["wrong field type", "/api/generate", { model: "llama3.2", prompt: 5 }, 400, "json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string"],
    ["generate unknown model", "/api/generate", { model: "nope:7b", prompt: "x" }, 404, "model 'nope:7b' not found"],
    ["generate empty model", "/api/generate", { model: "", prompt: "x" }, 404, "model '' not found"],
    ["chat empty model", "/api/chat", { model: "", messages: [] }, 400, "model is required"],
    ["chat unknown model", "/api/chat", { model: "nope", messages: [] }, 404, "model 'nope' not found"],
    ["embed unknown model", "/api/embed", { model: "nope", input: "x" }, 404, 'model "nope" not found, try pulling it first'],
    ["think on a non-thinking model", "/api/chat", { model: "llama3.2", think: true, messages: [{ role: "user", content: "x" }] }, 400, '"llama3.2" does not support thinking'],
    ["invalid think value", "/api/generate", { model: "qwen3", think: "extreme", prompt: "x" }, 400, 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'],
    ["tools on a model without tools", "/api/chat", { model: "llava", tools: [WEATHER_TOOL], messages: [{ role: "user", content: "x" }] }, 400, "registry.ollama.ai/library/llava:latest does not support tools"],
    ["suffix without insert", "/api/generate", { model: "llama3.2", prompt: "x", suffix: "y" }, 400, "registry.ollama.ai/library/llama3.2:latest does not support insert"],
    ["generate on an embedding model", "/api/generate", { model: "all-minilm", prompt: "x" }, 400, '"all-minilm" does not support generate'],
    ["top_logprobs out of range", "/api/generate", { model: "llama3.2", prompt: "x", top_logprobs: 21 }, 400, "top_logprobs must be between 0 and 20"],
    ["raw with system", "/api/generate", { model: "llama3.2", prompt: "x", raw: true, system: "s" }, 400, "raw mode does not support template, system, or context"],
    ["data: URL image", "/api/generate", { model: "llava", prompt: "x", images: ["data:image/png;base64,AAAA"] }, 400, "illegal base64 data at input byte 4"],
    ["bare-number keep_alive", "/api/generate", { model: "llama3.2", prompt: "x", keep_alive: "3600" }, 400, 'time: missing unit in duration "3600"'],
    ["integer option as string", "/api/generate", { model: "llama3.2", prompt: "x", options: { num_ctx: "big" } }, 500, 'option "num_ctx" must be of type integer'],
    ["float option as string", "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "x" }], options: { temperature: "hot" } }, 500, 'option "temperature" must be of type float32'],
    ["stop as a string", "/api/generate", { model: "llama3.2", prompt: "x", options: { stop: "x" } }, 500, 'option "stop" must be of type array'],
    ["stop with numbers", "/api/generate", { model: "llama3.2", prompt: "x", options: { stop: [1] } }, 500, 'option "stop" must be of an array of strings'],
    ["invalid format", "/api/generate", { model: "llama3.2", prompt: "x", stream: false, format: "xml" }, 500, 'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object'],
    ["embed input of the wrong type", "/api/embed", { model: "all-minilm", input: [1] }, 400, "invalid input type"],
    ["show unknown model", "/api/show", { model: "nope" }, 404, "model 'nope' not found"],
    ["copy unknown source", "/api/copy", { source: "nope", destination: "x" }, 404, 'model "nope" not found'],
  ];
  it.each(cases)("%s", async (_name, path, body, status, message) => {
    const sim = await simulator();
    const res = await post(sim, path, body);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ error: message });
  });

  it("answers delete of an unknown model with 404, and unknown routes with gin's text bodies", async () => {
    const sim = await simulator();
    const del = await post(sim, "/api/delete", { model: "nope" }, { method: "DELETE" });
    expect([del.status, await del.json()]).toEqual([404, { error: "model 'nope' not found" }]);
    const missing = await fetch(`${sim.url}/api/nothing`);
    expect([missing.status, missing.headers.get("content-type"), await missing.text()]).toEqual([404, "text/plain; charset=utf-8", "404 page not found"]);
    const wrongMethod = await fetch(`${sim.url}/api/generate`);
    expect([wrongMethod.status, await wrongMethod.text()]).toEqual([405, "405 method not allowed"]);
  });
});

describe("faults", () => {
  const chat = { model: "llama3.2", messages: [{ role: "user", content: "hi" }] };

  it("fails before the first byte with a scripted status, from a header or from setFault", async () => {
    const sim = await simulator();
    const viaHeader = await post(sim, "/api/chat", chat, { headers: { "x-sim-fault": "status=500;message=boom" } });
    expect([viaHeader.status, viaHeader.headers.get("content-type"), await viaHeader.json()]).toEqual([500, "application/json", { error: "boom" }]);
    sim.setFault("llama3.2", { status: 503 });
    const viaTable = await post(sim, "/api/chat", chat);
    expect([viaTable.status, await viaTable.json()]).toEqual([503, { error: "server busy, please try again.  maximum pending requests exceeded" }]);
    sim.setFault("llama3.2", undefined);
    expect((await post(sim, "/api/chat", chat)).status).toBe(200);
    expect(sim.stats()).toMatchObject({ started: 3, failed: 2, completed: 1, active: 0 });
  });

  it("writes an error line after N chunks and keeps status 200", async () => {
    const sim = await simulator();
    for (const apply of [
      () => ({ "x-sim-fault": "error-after=3" }),
      () => {
        sim.setFault("*", { errorAfterTokens: 3 });
        return {};
      },
    ]) {
      const res = await post(sim, "/api/chat", chat, { headers: apply() });
      expect(res.status).toBe(200);
      const lines = await ndjson(res);
      expect(lines).toHaveLength(4);
      expect(lines.slice(0, 3).every((l) => l.done === false)).toBe(true);
      expect(lines[3]).toEqual({ error: RUNNER_CRASH_MESSAGE });
    }
    expect(sim.stats()).toMatchObject({ failed: 2, active: 0 });
  });

  it("turns error-after=0 into a 500 before any byte", async () => {
    const sim = await simulator();
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "x" }, { headers: { "x-sim-fault": "error-after=0" } });
    expect([res.status, res.headers.get("content-type"), await res.json()]).toEqual([500, "application/json", { error: RUNNER_CRASH_MESSAGE }]);
  });

  it("drops the socket after N chunks", async () => {
    const sim = await simulator();
    const request = track(sim, "drop");
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "drop" }, { headers: { "x-sim-fault": "drop-after=2" } });
    await expect(res.text()).rejects.toThrow();
    expect((await request.end).outcome).toBe("failed");
    expect(sim.stats()).toMatchObject({ failed: 1, abortedByClient: 0, active: 0 });
  });

  it("writes a non-JSON line after N chunks, then ends", async () => {
    const sim = await simulator();
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "x" }, { headers: { "x-sim-fault": "malformed-after=2" } });
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(() => JSON.parse(lines[2] ?? "")).toThrow();
  });

  it("ends the body without the done line", async () => {
    const sim = await simulator({ tokens: 4 });
    const lines = await ndjson(await post(sim, "/api/generate", { model: "llama3.2", prompt: "x" }, { headers: { "x-sim-fault": "no-done" } }));
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.done === false)).toBe(true);
  });

  it("stalls until the client goes away, then counts an abort", async () => {
    const sim = await simulator();
    const controller = new AbortController();
    const request = track(sim, "stall");
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "stall" }, { signal: controller.signal, headers: { "x-sim-fault": "stall-after=1" } });
    expect(await firstLines(res, 1)).toHaveLength(1);
    controller.abort();
    expect((await request.end).outcome).toBe("aborted");
    expect(sim.stats()).toMatchObject({ abortedByClient: 1, active: 0, queued: 0 });
  });

  it("rejects a malformed x-sim-fault header", async () => {
    const sim = await simulator();
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "x" }, { headers: { "x-sim-fault": "explode" } });
    expect(res.status).toBe(400);
  });
});

describe("cancellation", () => {
  it("stops generating when the client aborts mid-stream and frees the slot", async () => {
    const sim = await simulator({ tokens: 500, tokensPerSecond: 200 });
    const controller = new AbortController();
    const request = track(sim, "long");
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "long" }, { signal: controller.signal });
    await firstLines(res, 2);
    // The counters must already be settled when "request-end" is emitted.
    const atEnd = nextEvent<RequestEnd>(sim, "request-end").then(() => sim.stats());
    controller.abort();
    expect(await request.end).toMatchObject({ outcome: "aborted", path: "/api/generate" });
    expect(await atEnd).toMatchObject({ abortedByClient: 1, active: 0 });
    expect(sim.stats()).toMatchObject({ started: 1, abortedByClient: 1, active: 0, queued: 0 });
    sim.configure({ tokens: 2, tokensPerSecond: 0 });
    expect(await (await post(sim, "/api/generate", { model: "llama3.2", prompt: "next", stream: false })).json()).toMatchObject({ done: true });
  });

  it("drops a request waiting for a parallel slot when its client aborts", async () => {
    const sim = await simulator({ numParallel: 1 });
    const holder = new AbortController();
    const holderRequest = track(sim, "holder");
    const first = await post(sim, "/api/generate", { model: "llama3.2", prompt: "holder" }, { signal: holder.signal, headers: { "x-sim-fault": "stall-after=1" } });
    await firstLines(first, 1);
    const waiter = new AbortController();
    const waiterRequest = track(sim, "waiter");
    const queued = nextEvent<RequestQueued>(sim, "request-queued", (e) => e.reason === "slot");
    const second = post(sim, "/api/generate", { model: "llama3.2", prompt: "waiter" }, { signal: waiter.signal });
    const { id } = await queued;
    expect(id).toBe(await waiterRequest.id);
    expect(sim.stats()).toMatchObject({ active: 2, queued: 1 });
    waiter.abort();
    await expect(second).rejects.toThrow();
    expect((await waiterRequest.end).outcome).toBe("aborted");
    expect(sim.stats()).toMatchObject({ active: 1, queued: 0, abortedByClient: 1 });
    holder.abort();
    expect((await holderRequest.end).outcome).toBe("aborted");
    expect(sim.stats()).toMatchObject({ active: 0, queued: 0, abortedByClient: 2 });
  });

  it("runs NUM_PARALLEL requests at once and applies a live capacity change", async () => {
    const sim = await simulator({ numParallel: 2, tokens: 2 });
    const holders = [new AbortController(), new AbortController()];
    const stalled = { "x-sim-fault": "stall-after=1" };
    const ended: Array<Promise<RequestEnd>> = [];
    for (const [i, holder] of holders.entries()) {
      ended.push(track(sim, `hold ${i}`).end);
      const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: `hold ${i}` }, { signal: holder.signal, headers: stalled });
      await firstLines(res, 1);
    }
    expect(sim.stats()).toMatchObject({ active: 2, queued: 0 });
    const queued = nextEvent<RequestQueued>(sim, "request-queued");
    const third = post(sim, "/api/generate", { model: "llama3.2", prompt: "third", stream: false });
    await queued;
    sim.configure({ numParallel: 3 });
    expect(await (await third).json()).toMatchObject({ done: true });
    for (const holder of holders) holder.abort();
    expect((await Promise.all(ended)).map((e) => e.outcome)).toEqual(["aborted", "aborted"]);
    expect(sim.stats()).toMatchObject({ active: 0, completed: 1, abortedByClient: 2 });
  });

  it("serves waiting requests in arrival order", async () => {
    const sim = await simulator({ numParallel: 1, tokens: 2, firstTokenMs: 5 });
    const ended: number[] = [];
    sim.events.on("request-end", (e: RequestEnd) => ended.push(e.id));
    const started: number[] = [];
    const bodies: Array<Promise<string>> = [];
    for (const prompt of ["p1", "p2", "p3", "p4"]) {
      const id = idOf(sim, prompt);
      bodies.push(post(sim, "/api/generate", { model: "llama3.2", prompt }).then((r) => r.text()));
      started.push(await id); // the next request is sent only once this one has arrived
    }
    await Promise.all(bodies);
    expect(ended).toEqual(started);
  });

  it("closes without hanging while a stream is stalled", async () => {
    const sim = await startSimulator({ firstTokenMs: 0, tokensPerSecond: 0 });
    const res = await post(sim, "/api/generate", { model: "llama3.2", prompt: "x" }, { headers: { "x-sim-fault": "stall-after=1" } });
    await firstLines(res, 1);
    await sim.close();
    await sim.close();
    expect(sim.stats().active).toBe(0);
  });
});

describe("residency", () => {
  it("pays the load time once and lists the model in /api/ps", async () => {
    const sim = await simulator({ defaultLoadMs: 80 });
    const cold = (await (await post(sim, "/api/generate", { model: "llama3.2", prompt: "x", stream: false })).json()) as Json;
    expect(cold.load_duration).toBeGreaterThanOrEqual(80e6);
    const warm = (await (await post(sim, "/api/generate", { model: "llama3.2", prompt: "x", stream: false })).json()) as Json;
    expect(warm.load_duration).toBeLessThan(80e6);
    const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as Json;
    expect(ps.models).toHaveLength(1);
    const [model] = ps.models as Json[];
    expect(model).toMatchObject({ name: "llama3.2:latest", model: "llama3.2:latest", context_length: 4096 });
    expect(model?.size_vram).toBe(model?.size);
    const expires = Date.parse(model?.expires_at as string);
    expect(expires).toBeGreaterThan(Date.now() + 290_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it("loads with an empty prompt and unloads with keep_alive 0", async () => {
    const sim = await simulator();
    const load = await post(sim, "/api/generate", { model: "llama3.2", prompt: "" });
    expect(load.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const loaded = (await load.json()) as Json;
    expect(loaded).toMatchObject({ model: "llama3.2", response: "", done: true, done_reason: "load" });
    expect(loaded.created_at).toMatch(RFC3339_UTC);
    expect(loaded.total_duration).toBeUndefined();
    const chatLoad = (await (await post(sim, "/api/chat", { model: "qwen3", messages: [] })).json()) as Json;
    expect(chatLoad).toMatchObject({ message: { role: "assistant", content: "" }, done_reason: "load", done: true });
    const names = async () => (((await (await fetch(`${sim.url}/api/ps`)).json()) as Json).models as Json[]).map((m) => m.name);
    expect((await names()).sort()).toEqual(["llama3.2:latest", "qwen3:latest"]);
    const unload = (await (await post(sim, "/api/generate", { model: "llama3.2", keep_alive: 0 })).json()) as Json;
    expect(unload).toMatchObject({ done: true, done_reason: "unload" });
    expect(await names()).toEqual(["qwen3:latest"]);
    await (await post(sim, "/api/chat", { model: "qwen3", messages: [{ role: "user", content: "x" }], keep_alive: "0s" })).text();
    expect(await names()).toEqual([]);
  });

  it("keeps a model forever with a negative keep_alive, yet evicts the least recently used at the limit", async () => {
    const sim = await simulator({ maxLoadedModels: 2 });
    const names = async () => (((await (await fetch(`${sim.url}/api/ps`)).json()) as Json).models as Json[]).map((m) => [m.name, m.expires_at]);
    await post(sim, "/api/generate", { model: "llama3.2", prompt: "", keep_alive: -1 }).then((r) => r.text());
    await post(sim, "/api/generate", { model: "qwen3", prompt: "" }).then((r) => r.text());
    const [forever] = await names();
    expect(forever?.[0]).toBe("llama3.2:latest");
    expect(new Date(forever?.[1] as string).getUTCFullYear()).toBeGreaterThan(2200);
    // Like Ollama's scheduler, eviction ignores keep_alive: the oldest idle model goes.
    await post(sim, "/api/generate", { model: "qwen2.5-coder", prompt: "" }).then((r) => r.text());
    expect((await names()).map(([name]) => name)).toEqual(["qwen2.5-coder:latest", "qwen3:latest"]);
  });

  it("answers 503 to requests that need a load while the queue is full, not to resident models", async () => {
    const sim = await simulator({ maxQueue: 1, defaultLoadMs: 60_000, preloaded: ["all-minilm"] });
    const controller = new AbortController();
    const request = track(sim, "slow load");
    const queued = nextEvent<RequestQueued>(sim, "request-queued", (e) => e.reason === "load");
    const pending = post(sim, "/api/generate", { model: "llama3.2", prompt: "slow load" }, { signal: controller.signal }).catch(() => undefined);
    await queued;
    expect(sim.stats()).toMatchObject({ active: 1, queued: 1 });
    const busy = await post(sim, "/api/chat", { model: "qwen3", messages: [{ role: "user", content: "x" }] });
    expect([busy.status, await busy.json()]).toEqual([503, { error: "server busy, please try again.  maximum pending requests exceeded" }]);
    const resident = await post(sim, "/api/embed", { model: "all-minilm", input: "fine" });
    expect(resident.status).toBe(200);
    await resident.text();
    controller.abort();
    await pending;
    expect((await request.end).outcome).toBe("aborted");
    expect(sim.stats()).toMatchObject({ active: 0, queued: 0 });
  });
});

describe("model features", () => {
  it("streams thinking first for a thinking model, and not with think:false", async () => {
    const sim = await simulator({ tokens: 6 });
    const messages = [{ role: "user", content: "why?" }];
    const lines = await ndjson(await post(sim, "/api/chat", { model: "qwen3", messages }));
    const thinking = lines.filter((l) => l.message.thinking !== undefined);
    expect(thinking.length).toBeGreaterThan(0);
    expect(thinking.every((l) => l.message.content === "")).toBe(true);
    expect(lines.indexOf(thinking.at(-1) as Json)).toBeLessThan(lines.findIndex((l) => l.message.content !== ""));
    const plain = await ndjson(await post(sim, "/api/chat", { model: "qwen3", messages, think: false }));
    expect(plain.some((l) => l.message.thinking !== undefined)).toBe(false);
    const whole = (await (await post(sim, "/api/generate", { model: "qwen3", prompt: "x", stream: false, think: "high" })).json()) as Json;
    expect(whole.thinking.length).toBeGreaterThan(0);
  });

  it("calls a tool in a non-final chunk, and answers in text after a tool result", async () => {
    const sim = await simulator();
    const messages = [{ role: "user", content: "Weather in Paris?" }];
    const lines = await ndjson(await post(sim, "/api/chat", { model: "llama3.2", messages, tools: [WEATHER_TOOL] }));
    expect(lines).toHaveLength(2);
    const [call, final] = lines;
    expect(call).toMatchObject({ done: false, message: { role: "assistant", content: "" } });
    const toolCalls = call?.message.tool_calls as Json[];
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]?.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(toolCalls[0]?.function).toMatchObject({ index: 0, name: "get_weather" });
    expect(Object.keys(toolCalls[0]?.function.arguments)).toEqual(["city"]);
    expect(typeof toolCalls[0]?.function.arguments.city).toBe("string");
    expect(final).toMatchObject({ done: true, done_reason: "stop" });
    const followUp = [...messages, { role: "assistant", content: "", tool_calls: toolCalls }, { role: "tool", content: "18C", tool_name: "get_weather" }];
    const answer = (await (await post(sim, "/api/chat", { model: "llama3.2", messages: followUp, tools: [WEATHER_TOOL], stream: false })).json()) as Json;
    expect(answer.message.tool_calls).toBeUndefined();
    expect(answer.message.content.length).toBeGreaterThan(0);
  });

  it("produces content matching a format schema", async () => {
    const sim = await simulator();
    const format = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" }, tags: { type: "array", items: { type: "string" } }, ok: { type: "boolean" } },
      required: ["name", "age", "tags", "ok"],
    };
    const lines = await ndjson(await post(sim, "/api/chat", { model: "llama3.2", format, messages: [{ role: "user", content: "describe" }] }));
    const value = JSON.parse(lines.map((l) => l.message.content).join("")) as Json;
    expect(typeof value.name).toBe("string");
    expect(Number.isInteger(value.age)).toBe(true);
    expect(value.tags.every((t: unknown) => typeof t === "string")).toBe(true);
    expect(typeof value.ok).toBe("boolean");
    const json = (await (await post(sim, "/api/generate", { model: "llama3.2", prompt: "x", format: "json", stream: false })).json()) as Json;
    expect(JSON.parse(json.response)).toBeTypeOf("object");
  });

  it("returns logprobs on content chunks when asked", async () => {
    const sim = await simulator({ tokens: 3 });
    const lines = await ndjson(await post(sim, "/api/generate", { model: "llama3.2", prompt: "x", logprobs: true, top_logprobs: 2 }));
    for (const chunk of lines.slice(0, -1)) {
      expect(chunk.logprobs[0].token).toBe(chunk.response);
      expect(chunk.logprobs[0].top_logprobs).toHaveLength(2);
    }
  });

  it("embeds deterministically into L2-normalized vectors, truncated by dimensions", async () => {
    const sim = await simulator();
    const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
    const res = (await (await post(sim, "/api/embed", { model: "all-minilm", input: ["a", "b"] })).json()) as Json;
    expect(res).toMatchObject({ model: "all-minilm" });
    expect(res.embeddings).toHaveLength(2);
    for (const vector of res.embeddings as number[][]) {
      expect(vector).toHaveLength(384);
      expect(Math.abs(norm(vector) - 1)).toBeLessThan(1e-5);
    }
    expect(res.prompt_eval_count).toBeGreaterThan(0);
    const again = (await (await post(sim, "/api/embed", { model: "all-minilm", input: "a" })).json()) as Json;
    expect(again.embeddings[0]).toEqual(res.embeddings[0]);
    const short = (await (await post(sim, "/api/embed", { model: "all-minilm", input: "a", dimensions: 16 })).json()) as Json;
    expect(short.embeddings[0]).toHaveLength(16);
    expect(Math.abs(norm(short.embeddings[0]) - 1)).toBeLessThan(1e-5);
    const empty = (await (await post(sim, "/api/embed", { model: "all-minilm", input: [] })).json()) as Json;
    expect(empty).toEqual({ model: "all-minilm", embeddings: [] });
    const legacy = (await (await post(sim, "/api/embeddings", { model: "all-minilm", prompt: "a" })).json()) as Json;
    expect(Object.keys(legacy)).toEqual(["embedding"]);
    expect(Math.abs(norm(legacy.embedding) - 1)).toBeGreaterThan(1e-3);
  });
});

describe("model management and introspection", () => {
  it("pulls, copies, shows and deletes models", async () => {
    const sim = await simulator();
    const progress = await ndjson(await post(sim, "/api/pull", { model: "tinyllama" }));
    expect(progress[0]).toEqual({ status: "pulling manifest" });
    expect(progress.at(-1)).toEqual({ status: "success" });
    expect(progress.some((p) => /^pulling [0-9a-f]{12}$/.test(p.status) && p.total > 0 && p.completed === p.total)).toBe(true);
    expect(progress.map((p) => p.status)).toContain("verifying sha256 digest");
    const quiet = await post(sim, "/api/pull", { name: "other", stream: false });
    expect([quiet.headers.get("content-type"), await quiet.json()]).toEqual(["application/json", { status: "success" }]);
    const copy = await post(sim, "/api/copy", { source: "tinyllama", destination: "mine:v1" });
    expect([copy.status, await copy.text()]).toEqual([200, ""]);
    const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as Json;
    const names = (tags.models as Json[]).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(["tinyllama:latest", "mine:v1", "other:latest", "llama3.2:latest"]));
    const show = (await (await post(sim, "/api/show", { model: "mine:v1" })).json()) as Json;
    expect(show.capabilities).toEqual(["completion"]);
    expect(show.details).toMatchObject({ format: "gguf" });
    const del = await post(sim, "/api/delete", { model: "mine:v1" }, { method: "DELETE" });
    expect([del.status, await del.text()]).toEqual([200, ""]);
    expect((await post(sim, "/api/show", { model: "mine:v1" })).status).toBe(404);
    expect(sim.stats()).toMatchObject({ started: 2, completed: 2 });
  });

  it("reports version, root text, recorded requests and stats over HTTP", async () => {
    const sim = await simulator({ version: "9.9.9" });
    expect(await (await fetch(`${sim.url}/api/version`)).json()).toEqual({ version: "9.9.9" });
    for (const path of ["/", "/api/version", "/api/tags"]) {
      const head = await fetch(`${sim.url}${path}`, { method: "HEAD" });
      expect([head.status, await head.text()]).toEqual([200, ""]);
    }
    const root = await fetch(`${sim.url}/`);
    expect([root.headers.get("content-type"), await root.text()]).toEqual(["text/plain; charset=utf-8", "Ollama is running"]);
    await (await post(sim, "/api/generate", { model: "llama3.2", prompt: "recorded" }, { headers: { "x-test": "1" } })).text();
    const recorded = sim.requests();
    expect(recorded.map((r) => [r.method, r.path])).toEqual([
      ["GET", "/api/version"],
      ["HEAD", "/"],
      ["HEAD", "/api/version"],
      ["HEAD", "/api/tags"],
      ["GET", "/"],
      ["POST", "/api/generate"],
    ]);
    expect(recorded[5]).toMatchObject({ body: { model: "llama3.2", prompt: "recorded" }, headers: { "x-test": "1" } });
    expect(await (await fetch(`${sim.url}/sim/requests`)).json()).toEqual(JSON.parse(JSON.stringify(recorded)));
    expect(await (await fetch(`${sim.url}/sim/stats`)).json()).toEqual(sim.stats());
    expect(sim.stats()).toMatchObject({ started: 1, completed: 1, active: 0 });
  });
});

describe("request log", () => {
  it("keeps only the most recent requestLogSize requests", async () => {
    const small = await startSimulator({ requestLogSize: 3 });
    try {
      for (let i = 0; i < 5; i++) await fetch(`${small.url}/api/tags`);
      await fetch(`${small.url}/api/version`);
      const log = small.requests();
      expect(log.map((r) => r.path)).toEqual(["/api/tags", "/api/tags", "/api/version"]);
      expect(log.map((r) => r.id)).toEqual([4, 5, 6]);
    } finally {
      await small.close();
    }
  });
});
