/**
 * The request bodies of Ollama's API as Go declares them (api/types.go), in
 * the form request-binding.ts binds: field names and the Go type each must
 * decode as. One table for everyone who reads Ollama requests the way Ollama
 * does: the simulator, and the gateway's Ollama-compatible door.
 */
import type { StructSpec } from "./request-binding.js";

/** api.GenerateRequest (`_debug_render_only` is bound, never acted on). */
export const GENERATE_REQUEST: StructSpec = {
  goName: "GenerateRequest",
  fields: {
    model: "string",
    prompt: "string",
    suffix: "string",
    system: "string",
    template: "string",
    context: "ints",
    stream: "bool",
    raw: "bool",
    format: "any",
    keep_alive: "keepAlive",
    images: "images",
    options: "map",
    think: "think",
    truncate: "bool",
    shift: "bool",
    logprobs: "bool",
    top_logprobs: "int",
    _debug_render_only: "bool",
  },
};

/** api.ChatRequest. */
export const CHAT_REQUEST: StructSpec = {
  goName: "ChatRequest",
  fields: {
    model: "string",
    messages: "messages",
    tools: "tools",
    format: "any",
    options: "map",
    stream: "bool",
    keep_alive: "keepAlive",
    think: "think",
    truncate: "bool",
    shift: "bool",
    logprobs: "bool",
    top_logprobs: "int",
    _debug_render_only: "bool",
  },
};

/** api.EmbedRequest (`input` is a string or a list of strings). */
export const EMBED_REQUEST: StructSpec = {
  goName: "EmbedRequest",
  fields: { model: "string", input: "any", truncate: "bool", dimensions: "int", keep_alive: "keepAlive", options: "map" },
};

/** api.EmbeddingRequest (legacy /api/embeddings). */
export const EMBEDDING_REQUEST: StructSpec = {
  goName: "EmbeddingRequest",
  fields: { model: "string", prompt: "string", keep_alive: "keepAlive", options: "map" },
};

/** api.ShowRequest (`name` is the deprecated spelling of `model`). */
export const SHOW_REQUEST: StructSpec = {
  goName: "ShowRequest",
  fields: { model: "string", name: "string", system: "string", template: "string", verbose: "bool", options: "map" },
};

/** api.PullRequest. */
export const PULL_REQUEST: StructSpec = {
  goName: "PullRequest",
  fields: { model: "string", name: "string", insecure: "bool", stream: "bool", username: "string", password: "string" },
};

/** api.DeleteRequest. */
export const DELETE_REQUEST: StructSpec = { goName: "DeleteRequest", fields: { model: "string", name: "string" } };

/** api.CopyRequest. */
export const COPY_REQUEST: StructSpec = { goName: "CopyRequest", fields: { source: "string", destination: "string" } };
