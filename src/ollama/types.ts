/**
 * Ollama's wire types for the endpoints the gateway calls (field names as in
 * Ollama's api/types.go; see shared/reference/ollama-api.md). Types only, no
 * behaviour. Durations are integers in nanoseconds; timestamps RFC 3339.
 */

/** A JSON object as found in schemas, tool arguments and options. */
export type JsonObject = { [key: string]: unknown };

/** `think`: a switch or a reasoning effort. */
export type OllamaThink = boolean | "low" | "medium" | "high" | "max";

/** `format`: "json" or a JSON Schema object. */
export type OllamaFormat = "json" | JsonObject;

/** `keep_alive`: a Go duration string, or a number of seconds. Negative means forever. */
export type OllamaKeepAlive = string | number;

/** Fields /api/generate and /api/chat share. */
export interface OllamaCompletionFields {
  model: string;
  stream?: boolean;
  format?: OllamaFormat;
  options?: JsonObject;
  keep_alive?: OllamaKeepAlive;
  think?: OllamaThink;
  truncate?: boolean;
  shift?: boolean;
  logprobs?: boolean;
  top_logprobs?: number;
}

/** Body of POST /api/generate. */
export interface OllamaGenerateRequest extends OllamaCompletionFields {
  prompt?: string;
  suffix?: string;
  system?: string;
  template?: string;
  context?: number[];
  raw?: boolean;
  images?: string[];
}

/** A tool call, as Ollama writes and reads it. */
export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: JsonObject };
}

/** One message of a conversation. */
export interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
  tool_call_id?: string;
}

/** A tool definition. */
export interface OllamaTool {
  type: "function";
  function: { name: string; description?: string; parameters?: JsonObject };
}

/** Body of POST /api/chat. */
export interface OllamaChatRequest extends OllamaCompletionFields {
  messages: OllamaMessage[];
  tools?: OllamaTool[];
}

/** Log probability of a token; `top_logprobs` only on the chosen token. */
export interface OllamaLogprob {
  token: string;
  logprob: number;
  bytes?: number[];
  top_logprobs?: OllamaLogprob[];
}

/** Metric fields of a final chunk (omitted when zero). */
export interface OllamaMetrics {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** One line of a /api/generate stream. */
export interface OllamaGenerateChunk extends OllamaMetrics {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: boolean;
  done_reason?: string;
  context?: number[];
  tool_calls?: OllamaToolCall[];
  logprobs?: OllamaLogprob[];
}

/** One line of a /api/chat stream. */
export interface OllamaChatChunk extends OllamaMetrics {
  model: string;
  created_at: string;
  message?: OllamaMessage;
  done: boolean;
  done_reason?: string;
  logprobs?: OllamaLogprob[];
}

/** `details` of a model in /api/tags, /api/ps and /api/show. */
export interface OllamaModelDetails {
  parent_model?: string;
  format?: string;
  family?: string;
  families?: string[] | null;
  parameter_size?: string;
  quantization_level?: string;
}

/** One entry of GET /api/tags. */
export interface OllamaTagsModel {
  name: string;
  model?: string;
  modified_at?: string;
  size?: number;
  digest?: string;
  details?: OllamaModelDetails;
}
