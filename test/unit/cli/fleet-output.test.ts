/**
 * The text the fleet commands print (ps, versions, show, embed, rm/cp/load/
 * unload) and the flag parsers they share, as pure functions.
 */
import { describe, expect, it } from "vitest";
import type { EmbedResponse, ListRunningModelsResponse, ShowModelResponse } from "../../../gen/ollama/v1/ollama.js";
import { formatResults } from "../../../src/cli/admin-commands.js";
import { formatBytes, formatTable } from "../../../src/cli/cli-output.js";
import { deadlineFlag, expectPositionals, keepAliveFlag } from "../../../src/cli/usage.js";
import { embedSummary, formatVectors, shortFloat32 } from "../../../src/cli/embed-command.js";
import { formatRunningTable, formatUntil, formatVram } from "../../../src/cli/ps-command.js";
import { formatShow, summarize } from "../../../src/cli/show-command.js";
import { UsageError } from "../../../src/cli/usage.js";
import { formatVersions } from "../../../src/cli/version-command.js";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe("formatTable", () => {
  it("pads every column but the last, and trims trailing blanks", () => {
    expect(formatTable([["A", "BB", "C"], ["aaa", "", ""], ["a", "b", "c"]])).toBe("A    BB  C\naaa\na    b   c\n");
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "-"],
    [96, "96 B"],
    [1_429, "1.4 KB"],
    [2_019_393_189, "2.0 GB"],
    [5e12, "5.0 TB"],
  ])("%d -> %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe("formatResults", () => {
  it("shows STATUS as the code name, TIME only when some result has a duration, then a summary", () => {
    const text = formatResults(
      [
        { backend: "b1", ok: true, error: "", code: 0, duration: { seconds: 1, nanos: 500_000_000 } },
        { backend: "b2", ok: false, error: "model 'x' not found", code: 5, duration: undefined },
      ],
      "loaded x",
    );
    expect(text).toBe(
      ["BACKEND  STATUS     TIME  ERROR", "b1       ok         1.5s", "b2       NOT_FOUND  -     model 'x' not found", "loaded x on 1/2 backends; failed on b2", ""].join("\n"),
    );
  });

  it("leaves TIME out when no result has one", () => {
    const text = formatResults([{ backend: "b1", ok: true, error: "", code: 0, duration: undefined }], "deleted x");
    expect(text).toBe("BACKEND  STATUS  ERROR\nb1       ok\ndeleted x on 1/1 backends\n");
  });
});

describe("flag parsers", () => {
  it.each([
    ["30m", { seconds: 1_800, nanos: 0 }],
    ["1.5s", { seconds: 1, nanos: 500_000_000 }],
    ["0", { seconds: 0, nanos: 0 }],
    ["forever", { seconds: -1, nanos: 0 }],
    ["-1", { seconds: -1, nanos: 0 }],
    ["-1.5s", { seconds: -1, nanos: -500_000_000 }],
  ])("--keep-alive %s", (text, duration) => expect(keepAliveFlag(text)).toEqual(duration));

  it.each(["soon", "5", ""])("--keep-alive %j is a usage error", (text) => expect(() => keepAliveFlag(text)).toThrow(UsageError));

  it.each([
    [undefined, undefined],
    ["250ms", 250],
    ["1m", 60_000],
  ])("--deadline %s -> %s ms", (text, ms) => expect(deadlineFlag(text)).toBe(ms));

  it.each(["0", "-1s", "ten"])("--deadline %j is a usage error", (text) => expect(() => deadlineFlag(text)).toThrow(UsageError));

  it.each([
    [[], /missing SOURCE DESTINATION/],
    [["a"], /missing DESTINATION/],
    [["a", "b", "c"], /unexpected argument "c"/],
  ])("positionals %j", (given, message) => expect(() => expectPositionals(given, ["SOURCE", "DESTINATION"])).toThrow(message));
});

describe("ps", () => {
  it.each([
    [undefined, "-"],
    [new Date(NOW + 299_500), "in 5m00s"],
    [new Date(NOW + 45_000), "in 45s"],
    [new Date(NOW + 2 * 3_600_000 + 61_000), "in 2h01m"],
    [new Date(NOW - 1), "stopping"],
    [new Date(Date.UTC(2318, 0, 1)), "forever"],
    [new Date(Date.UTC(1, 0, 1)), "-"],
  ])("UNTIL for %s", (expiresAt, text) => expect(formatUntil(expiresAt, NOW)).toBe(text));

  it.each([
    [2_000_000_000, 2_000_000_000, "2.0 GB"],
    [2_000_000_000, 1_000_000_000, "1.0 GB (50%)"],
    [2_000_000_000, 0, "- (CPU)"],
    [0, 0, "-"],
  ])("VRAM of %d with %d in VRAM -> %s", (size, vram, text) => expect(formatVram(size, vram)).toBe(text));

  it("renders one row per model and backend, then the backend count", () => {
    const details = undefined;
    const response: ListRunningModelsResponse = {
      models: [
        { name: "llama3.2:latest", backend: "b1", size: 2_019_393_189, sizeVram: 2_019_393_189, contextLength: 4096, expiresAt: new Date(NOW + 300_000), digest: "", details },
        { name: "qwen3:latest", backend: "b3", size: 5_225_388_164, sizeVram: 0, contextLength: 0, expiresAt: undefined, digest: "", details },
      ],
      backends: [
        { backend: "b1", reachable: true, error: "" },
        { backend: "b2", reachable: false, error: "refused" },
        { backend: "b3", reachable: true, error: "" },
      ],
    };
    expect(formatRunningTable(response, NOW)).toBe(
      [
        "NAME             BACKEND  SIZE    VRAM     CONTEXT  UNTIL",
        "llama3.2:latest  b1       2.0 GB  2.0 GB   4096     in 5m00s",
        "qwen3:latest     b3       5.2 GB  - (CPU)  -        -",
        "2 loaded on 2/3 backends",
        "",
      ].join("\n"),
    );
  });

  it("prints only the summary when nothing is loaded", () => {
    expect(formatRunningTable({ models: [], backends: [{ backend: "b1", reachable: true, error: "" }] }, NOW)).toBe("0 loaded on 1/1 backends\n");
  });
});

describe("versions", () => {
  it("puts the gateway first, marks unreachable backends, notes mixed versions and a CLI that differs", () => {
    const text = formatVersions(
      {
        gatewayVersion: "0.2.0",
        backends: [
          { backend: "b1", version: "0.33.0", reachable: true, error: "" },
          { backend: "b2", version: "", reachable: false, error: "refused" },
          { backend: "b3", version: "0.32.1", reachable: true, error: "" },
        ],
      },
      "0.1.0",
    );
    expect(text).toBe(
      [
        "gateway 0.2.0 (this CLI: 0.1.0)",
        "BACKEND  OLLAMA",
        "b1       0.33.0",
        "b2       - (unreachable)",
        "b3       0.32.1",
        "note: backends run 2 different Ollama versions",
        "",
      ].join("\n"),
    );
    expect(formatVersions({ gatewayVersion: "0.1.0", backends: [] }, "0.1.0")).toBe("gateway 0.1.0\nno backends\n");
  });
});

describe("show", () => {
  const response: ShowModelResponse = {
    license: "Apache License\nVersion 2.0\n...",
    modelfile: "FROM x",
    parameters: 'stop                           "<|im_start|>"\ntemperature                    0.6',
    template: "{{ .Prompt }}",
    system: "",
    details: { parentModel: "", format: "gguf", family: "qwen3", families: ["qwen3"], parameterSize: "8.2B", quantizationLevel: "Q4_K_M" },
    modelInfo: { "general.architecture": "qwen3", "qwen3.context_length": 40960, "qwen3.embedding_length": 4096 },
    capabilities: ["completion", "thinking"],
    modifiedAt: new Date(NOW),
    projectorInfo: undefined,
    backend: "b2",
  };

  it("renders the sections that have content", () => {
    expect(formatShow("qwen3", response)).toBe(
      [
        "qwen3 (backend b2)",
        "",
        "  Model",
        "    architecture      qwen3",
        "    parameters        8.2B",
        "    context length    40960",
        "    embedding length  4096",
        "    quantization      Q4_K_M",
        "    format            gguf",
        "    modified          2025-01-01T12:00:00.000Z",
        "",
        "  Capabilities",
        "    completion",
        "    thinking",
        "",
        "  Parameters",
        '    stop         "<|im_start|>"',
        "    temperature  0.6",
        "",
        "  Template",
        "    {{ .Prompt }}",
        "",
        "  License",
        "    Apache License … (3 lines)",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["one line", "one line"],
    ["\n  first\nsecond\n", "first … (2 lines)"],
    ["x".repeat(100), "x".repeat(71) + "…"],
  ])("summarize(%j)", (text, summary) => expect(summarize(text)).toBe(summary));
});

describe("embed", () => {
  it.each([
    [Math.fround(0.15358602), 0.15358602],
    [Math.fround(-0.5081428), -0.5081428],
    [Math.fround(0.1), 0.1],
    [0, 0],
    [Math.fround(1e-8), 1e-8],
  ])("shortFloat32(%d) -> %d", (value, short) => {
    expect(shortFloat32(value)).toBe(short);
    expect(Math.fround(shortFloat32(value))).toBe(Math.fround(value));
  });

  const response: EmbedResponse = {
    model: "all-minilm",
    embeddings: [{ values: [0.5, -0.25] }, { values: [1, 0] }],
    promptEvalCount: 3,
    timings: { totalDuration: { seconds: 0, nanos: 12_000_000 }, loadDuration: undefined, promptEvalDuration: undefined, evalDuration: undefined },
    backend: "b1",
  };

  it("prints one JSON array per input", () => {
    expect(formatVectors(response)).toBe("[0.5,-0.25]\n[1,0]\n");
  });

  it("summarizes on stderr, dimmed only on a terminal", () => {
    expect(embedSummary(response, false)).toBe("[backend b1 · 2 inputs · 3 tokens · 2 dimensions · total 12ms]");
    expect(embedSummary(response, true)).toBe("\x1b[2m[backend b1 · 2 inputs · 3 tokens · 2 dimensions · total 12ms]\x1b[0m");
  });
});
