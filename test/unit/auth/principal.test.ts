import { describe, expect, it } from "vitest";
import { ANONYMOUS, allowsEveryModel, mayUseModel, modelMatcher, type Principal } from "../../../src/auth/principal.js";

function principal(models: string[]): Principal {
  return { name: "p", tenant: "t", scopes: new Set(), models, credential: "api_key" };
}

describe("mayUseModel", () => {
  // Globs match the name as sent, its key ("x" -> "x:latest") and the key without ":latest".
  const cases: Array<{ models: string[]; model: string; allowed: boolean }> = [
    { models: [], model: "anything:7b", allowed: true },
    { models: ["*"], model: "anything:7b", allowed: true },
    { models: ["llama3*"], model: "llama3.2", allowed: true },
    { models: ["llama3*"], model: "llama3.2:1b", allowed: true },
    { models: ["llama3*"], model: "mistral", allowed: false },
    { models: ["llama3*"], model: "codellama3", allowed: false },
    { models: ["llama3.2"], model: "llama3.2", allowed: true },
    { models: ["llama3.2"], model: "llama3.2:latest", allowed: true },
    { models: ["llama3.2"], model: "llama3.2:1b", allowed: false },
    { models: ["llama3.2:latest"], model: "llama3.2", allowed: true },
    { models: ["llama3.2:latest"], model: "LLAMA3.2", allowed: true },
    { models: ["*:70b"], model: "llama3.1:70b", allowed: true },
    { models: ["*:70b"], model: "llama3.1:8b", allowed: false },
    { models: ["*:70b"], model: "llama3.1", allowed: false },
    { models: ["qwen?"], model: "qwen3", allowed: true },
    { models: ["qwen?"], model: "qwen25", allowed: false },
    { models: ["mistral", "gemma*"], model: "gemma3:4b", allowed: true },
    { models: ["mistral", "gemma*"], model: "phi4", allowed: false },
    { models: ["llama3.2"], model: "llama3x2", allowed: false }, // "." is literal, not "any character"
    { models: ["team/*"], model: "team/private:1b", allowed: true },
    { models: ["team/*"], model: "other/private", allowed: false },
  ];
  it.each(cases)("$models, $model -> $allowed", ({ models, model, allowed }) => {
    expect(mayUseModel(principal(models), model)).toBe(allowed);
    expect(modelMatcher(principal(models))(model)).toBe(allowed);
  });

  it("empty or '*' means every model", () => {
    expect(allowsEveryModel(principal([]))).toBe(true);
    expect(allowsEveryModel(principal(["llama*", "*"]))).toBe(true);
    expect(allowsEveryModel(principal(["llama*"]))).toBe(false);
  });

  it("ANONYMOUS has no scopes", () => {
    expect(ANONYMOUS.scopes.size).toBe(0);
    expect(ANONYMOUS.credential).toBe("none");
  });
});
