/** Model patterns pick the first matching cluster; globs are anchored and case-insensitive. */
import { describe, expect, it } from "vitest";
import { globToRegExp } from "../../../src/common/glob.js";
import { ClusterRouter } from "../../../src/service/cluster-router.js";
import type { FleetRuntime } from "../../../src/service/create-fleet.js";
import { RetryBudget } from "../../../src/upstream/retry-budget.js";

const cluster = (name: string, models: string[]) => ({ name, models, runtime: {} as FleetRuntime });

describe("globToRegExp", () => {
  it.each([
    ["*", "anything:latest", true],
    ["llama3*", "llama3.2:latest", true],
    ["llama3*", "Llama3.2:8B", true],
    ["llama3*", "my-llama3", false],
    ["*:70b", "llama3.1:70b", true],
    ["*:70b", "llama3.1:8b", false],
    ["qwen?", "qwen3", true],
    ["qwen?", "qwen30", false],
    ["all-minilm", "all-minilm", true],
    ["a.b", "axb", false],
  ])("%s matches %s: %s", (pattern, name, expected) => {
    expect(globToRegExp(pattern).test(name)).toBe(expected);
  });
});

describe("ClusterRouter.route", () => {
  const router = new ClusterRouter(
    [cluster("big", ["*:70b"]), cluster("gpu", ["llama3*", "qwen3*"]), cluster("rest", ["*"])],
    new RetryBudget(20, 3),
  );
  it.each([
    ["llama3.1:70b", "big"],
    ["llama3.2:latest", "gpu"],
    ["qwen3:8b", "gpu"],
    ["all-minilm:latest", "rest"],
  ])("%s -> %s (first match wins)", (model, expected) => {
    expect(router.route(model)?.name).toBe(expected);
  });

  it("matches patterns written without the :latest tag", () => {
    const named = new ClusterRouter([cluster("embed", ["all-minilm"])], new RetryBudget(20, 3));
    expect(named.route("all-minilm:latest")?.name).toBe("embed");
    expect(named.route("llama3.2:latest")).toBeUndefined();
  });
});
