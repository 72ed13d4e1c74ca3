/**
 * The Ollama-compatible front door's mapping layer: Ollama's JSON request
 * bodies -> OllamaService requests, and OllamaService answers -> the bytes
 * Ollama writes. Pure: no I/O, no clock (timestamps come from the messages).
 */
export { parseChat, parseGenerate } from "./completion-requests.js";
export { parseEmbed, parseEmbeddings, parsePull, parseShow } from "./model-requests.js";
export type { ParseFailure, Parsed } from "./parsed.js";
export { chatChunkJson, generateChunkJson } from "./completion-responses.js";
export { ChatAccumulator, GenerateAccumulator } from "./accumulators.js";
export { embeddingsJson, embedJson, psJson, showJson, tagsJson, versionJson } from "./model-responses.js";
export { PullProgress } from "./pull-progress.js";
export { OLLAMA_BUSY_MESSAGE, ollamaErrorBody, ollamaErrorJson, ollamaStreamErrorLine } from "./errors.js";
export type { OllamaFailure } from "./errors.js";
