/** callEach bounds each backend separately; failIfNoneSucceeded fails the call only when nothing worked. */
import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { RichServerError } from "nice-grpc-error-details";
import { callEach, failIfNoneSucceeded, toBackendResult } from "../../../src/service/fleet-call.js";
import { chooseHolders } from "../../../src/service/load-model.js";
import type { PickedBackend } from "../../../src/service/fleet.js";
import { UpstreamConnectionError, UpstreamHttpError, UpstreamTimeoutError } from "../../../src/ollama/errors.js";
import { modelKey } from "../../../src/ollama/model-name.js";

const target = (name: string) => ({ endpoint: { name, url: `http://${name}` }, client: {} }) as unknown as PickedBackend;
const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true }));

describe("callEach", () => {
  it("returns one outcome per target, in target order, failures included", async () => {
    const outcomes = await callEach([target("a"), target("b"), target("c")], new AbortController().signal, 0, async ({ endpoint }) => {
      if (endpoint.name === "b") throw new UpstreamHttpError(404, "model 'x' not found");
      return endpoint.name.toUpperCase();
    });
    expect(outcomes.map((o) => [o.backend, o.ok])).toEqual([
      ["a", true],
      ["b", false],
      ["c", true],
    ]);
  });

  it("times out a silent backend as an UpstreamTimeoutError without failing the others", async () => {
    const outcomes = await callEach([target("fast"), target("silent")], new AbortController().signal, 30, async ({ endpoint }, signal) =>
      endpoint.name === "fast" ? "ok" : never(signal),
    );
    expect(outcomes[0]).toMatchObject({ ok: true, value: "ok" });
    expect(outcomes[1]).toMatchObject({ ok: false });
    expect((outcomes[1] as { error: unknown }).error).toBeInstanceOf(UpstreamTimeoutError);
    expect((outcomes[1] as { error: Error }).error.message).toBe("no answer within 30 ms");
  });

  it("rejects when the call itself is aborted", async () => {
    const controller = new AbortController();
    const pending = callEach([target("a")], controller.signal, 0, (_, signal) => never(signal));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("failIfNoneSucceeded", () => {
  const notFound = (backend: string) => toBackendResult({ backend, ok: false, error: new UpstreamHttpError(404, `model 'x' not found`) });
  const unreachable = (backend: string) => toBackendResult({ backend, ok: false, error: new UpstreamConnectionError("ECONNREFUSED", "refused") });

  it("passes when at least one backend succeeded", () => {
    expect(() => failIfNoneSucceeded("DeleteModel", "x", [notFound("a"), toBackendResult({ backend: "b", ok: true, value: {} })])).not.toThrow();
  });

  it("throws the common code when every failure agrees", () => {
    const error = (() => {
      try {
        failIfNoneSucceeded("DeleteModel", "x", [notFound("a"), notFound("b")]);
      } catch (e) {
        return e as RichServerError;
      }
      throw new Error("expected a throw");
    })();
    expect(error.code).toBe(Status.NOT_FOUND);
    expect(error.details).toBe("DeleteModel failed on every backend: a: model 'x' not found; b: model 'x' not found");
  });

  it("throws UNAVAILABLE when the failures differ (the model may be on the unreachable one)", () => {
    expect(() => failIfNoneSucceeded("DeleteModel", "x", [notFound("a"), unreachable("b")])).toThrow(
      expect.objectContaining({ code: Status.UNAVAILABLE }),
    );
  });

  it("reports each failure's own status in the result", () => {
    expect(notFound("a")).toMatchObject({ ok: false, code: Status.NOT_FOUND, error: "model 'x' not found" });
    expect(unreachable("b")).toMatchObject({ ok: false, code: Status.UNAVAILABLE });
  });
});

describe("chooseHolders", () => {
  const holders = [
    { name: "a", loaded: false },
    { name: "b", loaded: true },
    { name: "c", loaded: false },
    { name: "d", loaded: true },
  ];
  it.each([
    [0, ["b", "d", "a", "c"]],
    [1, ["b"]],
    [3, ["b", "d", "a"]],
    [9, ["b", "d", "a", "c"]],
  ])("count %i -> %j (resident first, then configuration order)", (count, expected) => {
    expect(chooseHolders(holders, count).map((h) => h.name)).toEqual(expected);
  });
});

describe("modelKey", () => {
  it.each([
    ["llama3.2", "llama3.2:latest"],
    ["Llama3.2:LATEST", "llama3.2:latest"],
    ["qwen3:8b", "qwen3:8b"],
    ["library/llama3.2", "library/llama3.2:latest"],
    ["registry.local:5000/team/model", "registry.local:5000/team/model:latest"],
  ])("%s -> %s", (name, key) => {
    expect(modelKey(name)).toBe(key);
  });
});
