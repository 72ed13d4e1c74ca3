/**
 * An upstream endpoint: a named HTTP origin. upstream/ selects endpoints and
 * knows nothing of gRPC or of Ollama's JSON.
 */
export interface Endpoint {
  /** Unique, human-chosen name; appears in logs, errors and responses. */
  readonly name: string;
  /** Origin URL, e.g. "http://10.0.0.7:11434". */
  readonly url: string;
}
