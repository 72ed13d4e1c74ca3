/**
 * `ollama-grpc embed`: embeddings of one or more texts (Embed). Each
 * positional argument is one input (or each non-blank stdin line when there
 * are none); stdout gets one JSON array per input, in input order, and stderr
 * the backend, token count and timing.
 */
import type { EmbedResponse } from "../../gen/ollama/v1/ollama.js";
import { formatDurationMs } from "../common/duration.js";
import { printHelp, reportRpcError } from "./cli-output.js";
import { deadlineFlag, deadlineOption } from "./usage.js";
import { createGatewayClient } from "./gateway-client.js";
import { ExitCode, intFlag, parseCommandArgs, UsageError } from "./usage.js";

export const EMBED_HELP = `Usage: ollama-grpc embed --model NAME [options] [TEXT...]

Prints the embedding of each TEXT (one input per argument; without arguments,
one input per non-blank line of stdin) as one JSON array per line.

Options:
  --model NAME         embedding model, e.g. all-minilm (required)
  --dimensions N       shorten the vectors to N dimensions (models that support it)
  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --deadline DUR       gRPC deadline (default 60s)
  --json               print the whole response as JSON
  -h, --help           show this help`;

/** Runs the command; resolves with the exit code. */
export async function embedCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      target: { type: "string", default: "127.0.0.1:50051" },
      deadline: { type: "string", default: "60s" },
      model: { type: "string" },
      dimensions: { type: "string" },
      json: { type: "boolean" },
    },
    true,
  );
  if (values.help) return printHelp(EMBED_HELP);
  if (values.model === undefined) throw new UsageError("--model is required");
  const dimensions = intFlag(values.dimensions, "dimensions");
  if (dimensions === 0) throw new UsageError("--dimensions: must be positive");
  const deadlineMs = deadlineFlag(values.deadline);
  const input = positionals.length > 0 ? positionals : await readStdinLines();

  const { client, channel } = createGatewayClient(values.target);
  try {
    const response = await client.embed({ model: values.model, input, dimensions }, deadlineOption(deadlineMs));
    const shortened = { ...response, embeddings: response.embeddings.map((e) => ({ values: e.values.map(shortFloat32) })) };
    process.stdout.write(values.json ? JSON.stringify(shortened, null, 2) + "\n" : formatVectors(shortened));
    process.stderr.write(embedSummary(response, process.stderr.isTTY === true) + "\n");
    return ExitCode.OK;
  } catch (error) {
    return reportRpcError(error);
  } finally {
    channel.close();
  }
}

/** One JSON array per vector, one per line. */
export function formatVectors(response: EmbedResponse): string {
  return response.embeddings.map((embedding) => JSON.stringify(embedding.values) + "\n").join("");
}

/** The stderr line: backend, inputs, tokens, dimensions, Ollama's total time; dimmed on a terminal. */
export function embedSummary(response: EmbedResponse, tty: boolean): string {
  const dims = response.embeddings[0]?.values.length ?? 0;
  const total = response.timings?.totalDuration;
  const parts = [
    `backend ${response.backend}`,
    `${response.embeddings.length} ${response.embeddings.length === 1 ? "input" : "inputs"}`,
    `${response.promptEvalCount} tokens`,
    `${dims} dimensions`,
    ...(total === undefined ? [] : [`total ${formatDurationMs(total.seconds * 1_000 + total.nanos / 1e6)}`]),
  ];
  const text = `[${parts.join(" · ")}]`;
  return tty ? `\x1b[2m${text}\x1b[0m` : text;
}

/**
 * The vectors are float32 (proto `float`), which decode to doubles with
 * spurious digits (0.1535860151052475). This returns the double nearest to
 * the shortest decimal that still reads back as the same float32 — the text
 * Ollama itself prints (0.15358602).
 */
export function shortFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return Number(single.toPrecision(9));
}

/** Non-blank stdin lines, one input each. @throws UsageError when stdin is a terminal or has no text. */
async function readStdinLines(): Promise<string[]> {
  if (process.stdin.isTTY) throw new UsageError("no input: pass texts as arguments or lines on stdin");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const lines = Buffer.concat(chunks)
    .toString("utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new UsageError("no input: stdin had no text");
  return lines;
}
