import { afterEach, describe, expect, it } from "vitest";
import { KEEP_FOREVER } from "../../../src/ollama/keep-alive.js";
import { ModelCatalogue } from "../../../src/sim/model-catalogue.js";
import { QueueFullError, Residency } from "../../../src/sim/residency.js";
import type { RunnerRequest } from "../../../src/sim/residency.js";

const catalogue = new ModelCatalogue(
  [
    { name: "a:latest", capabilities: ["completion"] },
    { name: "b:latest", capabilities: ["completion"] },
  ],
  new Date(0),
);

let residency: Residency;
afterEach(() => residency.close());

function request(name: "a" | "b", overrides: Partial<RunnerRequest> = {}): RunnerRequest {
  const entry = catalogue.find(name);
  if (entry === undefined) throw new Error(`no model ${name}`);
  return {
    key: name,
    entry,
    loadMs: 0,
    keepAliveMs: 300_000,
    numCtx: 4096,
    signal: new AbortController().signal,
    ...overrides,
  };
}

const resident = (now = Date.now()) => residency.list(now).map((m) => m.entry.name);

describe("Residency", () => {
  it("loads once, then takes the fast path without queueing", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 10 });
    const queued: string[] = [];
    const first = await residency.acquire(request("a", { onQueued: () => queued.push("first") }));
    const second = await residency.acquire(request("a", { onQueued: () => queued.push("second") }));
    expect(queued).toEqual(["first"]);
    first.release();
    second.release();
    expect(resident()).toEqual(["a:latest"]);
  });

  it("answers 503 while maxQueue requests are pending a load", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 1 });
    const controller = new AbortController();
    const pending = residency.acquire(request("a", { loadMs: 60_000, signal: controller.signal }));
    expect(residency.pending).toBe(1);
    await expect(residency.acquire(request("b"))).rejects.toBeInstanceOf(QueueFullError);
    await expect(residency.acquire(request("b"))).rejects.toThrow(
      "server busy, please try again.  maximum pending requests exceeded",
    );
    controller.abort(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
    expect(residency.pending).toBe(0);
    expect(resident()).toEqual([]);
  });

  it("evicts the least recently used idle model at maxLoadedModels", async () => {
    residency = new Residency({ maxLoadedModels: 1, maxQueue: 10 });
    (await residency.acquire(request("a"))).release();
    (await residency.acquire(request("b"))).release();
    expect(resident()).toEqual(["b:latest"]);
  });

  it("waits for a busy model to go idle before evicting it", async () => {
    residency = new Residency({ maxLoadedModels: 1, maxQueue: 10 });
    const busy = await residency.acquire(request("a"));
    let granted = false;
    const waiting = residency.acquire(request("b")).then((lease) => {
      granted = true;
      return lease;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    busy.release();
    (await waiting).release();
    expect(resident()).toEqual(["b:latest"]);
  });

  it("unloads at once when idle with keep_alive 0", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 10 });
    const lease = await residency.acquire(request("a", { keepAliveMs: 0 }));
    expect(resident()).toEqual(["a:latest"]);
    lease.release();
    expect(resident()).toEqual([]);
  });

  it("expires an idle model now and a busy one when its last request ends", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 10 });
    (await residency.acquire(request("a"))).release();
    residency.expire("a");
    expect(resident()).toEqual([]);
    const lease = await residency.acquire(request("b"));
    residency.expire("b");
    expect(resident()).toEqual(["b:latest"]);
    lease.release();
    expect(resident()).toEqual([]);
  });

  it("reports expires_at from idle time, and far in the future for negative keep_alive", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 10 });
    const before = Date.now();
    (await residency.acquire(request("a", { keepAliveMs: 60_000 }))).release();
    (await residency.acquire(request("b", { keepAliveMs: KEEP_FOREVER }))).release();
    const [forever, minute] = residency.list(Date.now());
    expect(forever?.entry.name).toBe("b:latest");
    expect(new Date(forever?.expiresAt ?? 0).getUTCFullYear()).toBeGreaterThan(2200);
    expect(minute?.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(minute?.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("reloads when num_ctx differs", async () => {
    residency = new Residency({ maxLoadedModels: 3, maxQueue: 10 });
    (await residency.acquire(request("a"))).release();
    (await residency.acquire(request("a", { numCtx: 8192 }))).release();
    expect(residency.list(Date.now()).map((m) => m.numCtx)).toEqual([8192]);
  });
});
