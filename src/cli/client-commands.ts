/**
 * `ollama-grpc chat` and `ollama-grpc generate`: stream one answer from a
 * gateway to the terminal. Ctrl-C cancels the call (and so the Ollama
 * request) and exits 130; an RPC error prints its status and details and
 * exits 64 + the status code.
 */
import { Role, ThinkLevel, type Think } from "../../gen/ollama/v1/ollama.js";
import { reportRpcError } from "./cli-output.js";
import { createGatewayClient } from "./gateway-client.js";
import { StreamPrinter } from "./stream-printer.js";
import { deadlineFlag, deadlineOption, ExitCode, parseCommandArgs, UsageError } from "./usage.js";

const COMMON_FLAGS = `  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --model NAME         model to use (required)
  --deadline DUR       gRPC deadline, e.g. 30s (default none)
  --system TEXT        system prompt
  --think [LEVEL]      enable thinking: true|false|low|medium|high|max
  --format json        constrain the output to JSON
  --temperature X      sampling temperature
  --seed N             random seed
  -h, --help           show this help`;

export const CHAT_HELP = `Usage: ollama-grpc chat --model NAME [options] [PROMPT...]

Sends one user message (PROMPT, or stdin when omitted) to the gateway's Chat RPC
and streams the assistant's answer to stdout.

Options:
${COMMON_FLAGS}`;

export const GENERATE_HELP = `Usage: ollama-grpc generate --model NAME [options] [PROMPT...]

Streams a completion of PROMPT (or stdin when omitted) from the gateway's Generate RPC.

Options:
${COMMON_FLAGS}`;

const FLAGS = {
  target: { type: "string", default: "127.0.0.1:50051" },
  model: { type: "string" },
  deadline: { type: "string" },
  system: { type: "string" },
  think: { type: "string" },
  format: { type: "string" },
  temperature: { type: "string" },
  seed: { type: "string" },
} as const;

/** Runs `chat` or `generate`; resolves with the exit code. */
export async function clientCommand(kind: "chat" | "generate", argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS, true);
  if (values.help) {
    console.log(kind === "chat" ? CHAT_HELP : GENERATE_HELP);
    return ExitCode.OK;
  }
  if (values.model === undefined) throw new UsageError("--model is required");
  const deadlineMs = deadlineFlag(values.deadline);
  const prompt = positionals.length > 0 ? positionals.join(" ") : await readStdin();
  const options = {
    ...(values.temperature !== undefined && { temperature: numberFlag(values.temperature, "temperature") }),
    ...(values.seed !== undefined && { seed: numberFlag(values.seed, "seed") }),
  };
  const common = {
    model: values.model,
    options,
    ...(values.format !== undefined && { format: { kind: { $case: "name" as const, value: values.format } } }),
    ...(values.think !== undefined && { think: thinkFlag(values.think) }),
  };

  const { client, channel } = createGatewayClient(values.target);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once("SIGINT", onSigint);
  const callOptions = { signal: abort.signal, ...deadlineOption(deadlineMs) };
  const printer = new StreamPrinter();
  try {
    if (kind === "chat") {
      const messages = [
        ...(values.system !== undefined ? [{ role: Role.ROLE_SYSTEM, content: values.system }] : []),
        { role: Role.ROLE_USER, content: prompt },
      ];
      for await (const message of client.chat({ ...common, messages }, callOptions)) printer.chat(message);
    } else {
      const request = { ...common, prompt, ...(values.system !== undefined && { system: values.system }) };
      for await (const message of client.generate(request, callOptions)) printer.generate(message);
    }
    return ExitCode.OK;
  } catch (error) {
    if (abort.signal.aborted) {
      process.stderr.write("\ncancelled\n");
      return ExitCode.INTERRUPTED;
    }
    process.stderr.write("\n");
    return reportRpcError(error);
  } finally {
    process.off("SIGINT", onSigint);
    channel.close();
  }
}

function numberFlag(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new UsageError(`--${name}: expected a number, got "${value}"`);
  return number;
}

const THINK_LEVELS: Record<string, ThinkLevel> = {
  low: ThinkLevel.THINK_LEVEL_LOW,
  medium: ThinkLevel.THINK_LEVEL_MEDIUM,
  high: ThinkLevel.THINK_LEVEL_HIGH,
  max: ThinkLevel.THINK_LEVEL_MAX,
};

function thinkFlag(value: string): Think {
  if (value === "true" || value === "false") return { value: { $case: "enabled", value: value === "true" } };
  const level = THINK_LEVELS[value];
  if (level === undefined) throw new UsageError(`--think: expected true, false, low, medium, high or max, got "${value}"`);
  return { value: { $case: "level", value: level } };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError("no prompt: pass it as arguments or on stdin");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") throw new UsageError("no prompt: stdin was empty");
  return text;
}
