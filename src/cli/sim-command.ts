/** `ollama-grpc sim`: runs the Ollama simulator (a dev/test tool, never used by `serve` unless pointed at it). */
import { DEFAULT_SIM_MODELS, startSimulator, type SimModel } from "../sim/index.js";
import { ExitCode, intFlag, parseCommandArgs, UsageError } from "./usage.js";

export const SIM_HELP = `Usage: ollama-grpc sim [options]

Runs a simulated Ollama server that speaks Ollama's HTTP API (NDJSON streams,
error bodies, status codes, slots and queueing, model loading) with
deterministic answers. A development and test tool: it runs no model.

Options:
  --listen HOST:PORT        address (default 127.0.0.1:11434)
  --models a,b              models to offer (default: ${DEFAULT_SIM_MODELS.map((m) => m.name).join(", ")});
                            names not in the default set get completion + tools capabilities
  --tokens-per-second N     generation speed per stream (default 50; 0 = unpaced)
  --first-token-ms N        delay before the first token (default 20)
  --load-ms N               cold-load time of a model that is not resident (default 50)
  --num-parallel N          concurrent requests per model, like OLLAMA_NUM_PARALLEL (default 1)
  --max-queue N             pending loads before 503, like OLLAMA_MAX_QUEUE (default 512)
  --tokens N                tokens per answer when num_predict is unset (default 12)
  --seed N                  seed of the deterministic answers (default 42)
  -h, --help                show this help

Per-request fault injection with the header x-sim-fault (see the README), and
counters at GET /sim/stats.`;

/** Runs the simulator until SIGTERM/SIGINT. */
export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    listen: { type: "string", default: "127.0.0.1:11434" },
    models: { type: "string" },
    "tokens-per-second": { type: "string" },
    "first-token-ms": { type: "string" },
    "load-ms": { type: "string" },
    "num-parallel": { type: "string" },
    "max-queue": { type: "string" },
    tokens: { type: "string" },
    seed: { type: "string" },
  });
  if (values.help) {
    console.log(SIM_HELP);
    return ExitCode.OK;
  }
  const match = /^(.+):(\d{1,5})$/.exec(values.listen);
  if (match === null) throw new UsageError(`--listen: expected HOST:PORT, got "${values.listen}"`);
  const options = {
    host: (match[1] as string).replace(/^\[|\]$/g, ""),
    port: Number(match[2]),
    ...(values.models !== undefined && { models: modelsFlag(values.models) }),
    ...optionalInt("tokensPerSecond", values["tokens-per-second"], "tokens-per-second"),
    ...optionalInt("firstTokenMs", values["first-token-ms"], "first-token-ms"),
    ...optionalInt("defaultLoadMs", values["load-ms"], "load-ms"),
    ...optionalInt("numParallel", values["num-parallel"], "num-parallel"),
    ...optionalInt("maxQueue", values["max-queue"], "max-queue"),
    ...optionalInt("tokens", values.tokens, "tokens"),
    ...optionalInt("seed", values.seed, "seed"),
  };
  const sim = await startSimulator(options);
  console.log(`ollama simulator listening on ${sim.url} (models: ${(options.models ?? DEFAULT_SIM_MODELS).map((m) => m.name).join(", ")})`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await sim.close();
  return ExitCode.OK;
}

function optionalInt(key: string, value: string | undefined, flag: string): Record<string, number> {
  const number = intFlag(value, flag);
  return number === undefined ? {} : { [key]: number };
}

/** "llama3.2,qwen3" -> models; known names keep their default capabilities. */
function modelsFlag(list: string): SimModel[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError("--models: expected a comma-separated list of model names");
  return names.map((name) => {
    const full = name.includes(":") ? name : `${name}:latest`;
    const known = DEFAULT_SIM_MODELS.find((m) => m.name === full);
    return known ?? { name: full, capabilities: ["completion", "tools"] };
  });
}
