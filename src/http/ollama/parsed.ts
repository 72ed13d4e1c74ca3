/**
 * The outcome of parsing an Ollama request body, and the failures Ollama
 * itself would answer with. A failure is sent as `{"error": message}` with
 * `status`; the texts are Ollama's own (routes.go, api/types.go), so a client
 * that matches on them behaves as it does against Ollama.
 */

/** A parsed request (`stream` as the client asked; Ollama's default is true), or Ollama's error answer. */
export type Parsed<T> = { ok: true; request: T; stream: boolean } | { ok: false; status: number; message: string };

/** A parse failure: HTTP status plus Ollama's error text. */
export type ParseFailure = Extract<Parsed<never>, { ok: false }>;

/** Builds a failure. */
export function failure(status: number, message: string): ParseFailure {
  return { ok: false, status, message };
}

/**
 * Thrown inside a parser to stop at the first problem; caught at the parser's
 * edge and turned into its {@link ParseFailure}. Never escapes this folder.
 * @internal
 */
export class ParseStop extends Error {
  readonly failure: ParseFailure;

  constructor(status: number, message: string) {
    super(message);
    this.failure = failure(status, message);
  }
}

/** Runs `parse`, turning a {@link ParseStop} into its failure. */
export function catchStop<T>(parse: () => Parsed<T>): Parsed<T> {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ParseStop) return error.failure;
    throw error;
  }
}
