import { describe, expect, it } from "vitest";
import { ListModelsResponse } from "../../../../gen/ollama/v1/ollama.js";
import { findModel, modelListBody, modelNamespace } from "../../../../src/http/openai/models.js";

const MODIFIED = new Date("2026-08-01T10:00:00.900Z");
const LIST = ListModelsResponse.fromPartial({
  models: [
    { name: "llama3.2:latest", modifiedAt: MODIFIED },
    { name: "jdoe/coder:7b", modifiedAt: MODIFIED },
  ],
});

describe("modelListBody", () => {
  it("writes id, object, created (Unix seconds of modified_at) and owned_by", () => {
    expect(modelListBody(LIST)).toBe(
      '{"object":"list","data":[' +
        '{"id":"llama3.2:latest","object":"model","created":1785578400,"owned_by":"library"},' +
        '{"id":"jdoe/coder:7b","object":"model","created":1785578400,"owned_by":"jdoe"}]}\n',
    );
  });

  it("writes an empty list as [] (Ollama writes null)", () => {
    expect(modelListBody(ListModelsResponse.fromPartial({}))).toBe('{"object":"list","data":[]}\n');
  });
});

describe("findModel", () => {
  it.each(["llama3.2", "llama3.2:latest", "Llama3.2"])("finds %s and echoes the name as requested", (name) => {
    expect(findModel(LIST, name)).toStrictEqual({
      ok: true,
      body: `{"id":"${name}","object":"model","created":1785578400,"owned_by":"library"}\n`,
    });
  });

  it.each(["llama3.2:1b", "coder:7b", ""])("answers 404 in OpenAI's shape for %j", (name) => {
    expect(findModel(LIST, name)).toStrictEqual({
      ok: false,
      status: 404,
      body: JSON.stringify({ error: { message: `model '${name}' not found`, type: "not_found_error", param: null, code: null } }),
    });
  });
});

describe("modelNamespace", () => {
  it.each([
    ["llama3.2", "library"],
    ["llama3.2:latest", "library"],
    ["jdoe/coder:7b", "jdoe"],
    ["registry.example.com:5000/team/model:v1", "team"],
    ["registry.example.com:5000/team/model", "team"],
    ["hf.co/org/repo:Q4_K_M", "org"],
  ])("%s is owned by %s", (name, owner) => {
    expect(modelNamespace(name)).toBe(owner);
  });
});
