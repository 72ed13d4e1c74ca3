import { describe, expect, it } from "vitest";
import { planAnswer } from "../../../src/sim/token-stream.js";
import type { AnswerPiece, AnswerRequest } from "../../../src/sim/token-stream.js";

const base: AnswerRequest = { seed: 42, model: "llama3.2:latest", input: "Why is the sky blue?", tokens: 12, think: false };

const textOf = (pieces: readonly AnswerPiece[], kind: "content" | "thinking") =>
  pieces.map((p) => (p.kind === kind ? p.text : "")).join("");

describe("planAnswer", () => {
  it("is a pure function of seed, model, input and options.seed", () => {
    expect(planAnswer(base)).toEqual(planAnswer({ ...base }));
    const variants = [{ seed: 7 }, { model: "qwen3:latest" }, { input: "other" }, { optionSeed: 3 }];
    for (const variant of variants) {
      expect(textOf(planAnswer({ ...base, ...variant }).pieces, "content")).not.toBe(textOf(planAnswer(base).pieces, "content"));
    }
  });

  it("emits one content piece per token, as a sentence", () => {
    const plan = planAnswer(base);
    expect(plan.pieces).toHaveLength(12);
    expect(plan.doneReason).toBe("stop");
    const text = textOf(plan.pieces, "content");
    expect(text).toMatch(/^[A-Z][a-z]*( [a-z]+)*\.$/);
  });

  it("cuts at num_predict with done_reason length", () => {
    const plan = planAnswer({ ...base, numPredict: 5 });
    expect(plan.pieces).toHaveLength(5);
    expect(plan.doneReason).toBe("length");
    expect(planAnswer({ ...base, numPredict: -1 }).pieces).toHaveLength(12);
    expect(planAnswer({ ...base, numPredict: 12 }).doneReason).toBe("stop");
  });

  it("thinks first, then answers", () => {
    const plan = planAnswer({ ...base, think: true });
    const kinds = plan.pieces.map((p) => p.kind);
    expect(kinds.slice(0, 4)).toEqual(["thinking", "thinking", "thinking", "thinking"]);
    expect(kinds.slice(4).every((k) => k === "content")).toBe(true);
    expect(textOf(plan.pieces, "thinking").length).toBeGreaterThan(0);
  });

  it("stops at a stop sequence and drops it", () => {
    const full = textOf(planAnswer(base).pieces, "content");
    const stopWord = full.split(" ")[3] ?? "";
    const cut = textOf(planAnswer({ ...base, stop: [` ${stopWord}`] }).pieces, "content");
    expect(full.startsWith(cut)).toBe(true);
    expect(cut.includes(` ${stopWord}`)).toBe(false);
    expect(cut.length).toBeLessThan(full.length);
  });

  it("produces JSON that matches a schema's property types", () => {
    const schema = {
      type: "object",
      properties: {
        name: { type: "string" },
        age: { type: "integer", minimum: 0, maximum: 150 },
        score: { type: "number" },
        ok: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } },
        address: { type: "object", properties: { city: { type: "string" } } },
        level: { enum: ["low", "high"] },
      },
      required: ["name", "age"],
    };
    const plan = planAnswer({ ...base, format: schema });
    expect(plan.pieces.length).toBeGreaterThan(3);
    const value = JSON.parse(textOf(plan.pieces, "content")) as Record<string, unknown>;
    expect(typeof value.name).toBe("string");
    expect(Number.isInteger(value.age)).toBe(true);
    expect(typeof value.score).toBe("number");
    expect(typeof value.ok).toBe("boolean");
    expect(Array.isArray(value.tags) && value.tags.every((t) => typeof t === "string")).toBe(true);
    expect(typeof (value.address as Record<string, unknown>).city).toBe("string");
    expect(["low", "high"]).toContain(value.level);
  });

  it('produces a JSON object for format "json"', () => {
    const value: unknown = JSON.parse(textOf(planAnswer({ ...base, format: "json" }).pieces, "content"));
    expect(value).toBeTypeOf("object");
  });

  it("calls the first named tool with its required arguments", () => {
    const tools = [
      { type: "function", function: { description: "unnamed" } },
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, days: { type: "integer" }, unit: { enum: ["c", "f"] } },
            required: ["city", "days"],
          },
        },
      },
    ];
    const plan = planAnswer({ ...base, tools });
    expect(plan.pieces).toHaveLength(1);
    const piece = plan.pieces[0];
    if (piece?.kind !== "tool_call") throw new Error("expected a tool call");
    expect(piece.call.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(piece.call.function.index).toBe(0);
    expect(piece.call.function.name).toBe("get_weather");
    expect(Object.keys(piece.call.function.arguments)).toEqual(["city", "days"]);
    expect(typeof piece.call.function.arguments.city).toBe("string");
    expect(Number.isInteger(piece.call.function.arguments.days)).toBe(true);
  });

  it("attaches logprobs with the requested number of alternatives", () => {
    const plan = planAnswer({ ...base, topLogprobs: 3 });
    for (const piece of plan.pieces) {
      if (piece.kind !== "content") throw new Error("expected content");
      const [entry] = piece.logprobs ?? [];
      expect(entry?.token).toBe(piece.text);
      expect(entry?.logprob).toBeLessThanOrEqual(0);
      expect(entry?.bytes).toEqual([...Buffer.from(piece.text)]);
      expect(entry?.top_logprobs).toHaveLength(3);
    }
    const bare = planAnswer({ ...base, topLogprobs: 0 }).pieces[0];
    expect(bare?.kind === "content" && bare.logprobs?.[0]?.top_logprobs).toBe(undefined);
  });
});
