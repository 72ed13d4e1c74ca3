/**
 * `ollama-grpc demo`: the quick start in one process. Starts two simulated
 * Ollama backends and the gateway in front of them on free loopback ports
 * (gRPC and the HTTP front doors), streams a real Chat through gRPC to the
 * terminal, then shuts everything
 * down (or keeps serving with --keep).
 */
import { startGateway } from "../app.js";
import { loadConfig } from "../config/load.js";
import { createLogger } from "../observability/logger.js";
import { shutdownTracing } from "../observability/tracing-sdk.js";
import { startSimulator, type RunningSimulator } from "../sim/index.js";
import { clientCommand } from "./client-commands.js";
import { ExitCode, parseCommandArgs } from "./usage.js";

export const DEMO_HELP = `Usage: ollama-grpc demo [options]

Starts two simulated Ollama backends and the gateway, then streams a Chat
through the gateway to this terminal.

Options:
  --model NAME     model to chat with (default qwen3: a thinking model)
  --prompt TEXT    the user message (default: a question about gRPC)
  --keep           keep the gateway running afterwards (Ctrl-C to stop)
  -h, --help       show this help`;

/** Runs the demo; resolves with the exit code. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    model: { type: "string", default: "qwen3" },
    prompt: { type: "string", default: "Why stream tokens over gRPC instead of polling?" },
    keep: { type: "boolean" },
  });
  if (values.help) {
    console.log(DEMO_HELP);
    return ExitCode.OK;
  }
  const sims: RunningSimulator[] = [];
  const logger = createLogger("warn", process.stderr);
  try {
    for (const seed of [7, 8]) sims.push(await startSimulator({ tokensPerSecond: 25, firstTokenMs: 150, defaultLoadMs: 400, tokens: 40, seed }));
    const config = loadConfig(
      { listen: "127.0.0.1:0", adminListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", backends: sims.map((sim, i) => `sim-${i + 1}=${sim.url}`), logLevel: "warn" },
      {},
    );
    const gateway = await startGateway(config, logger);
    const target = `127.0.0.1:${gateway.port}`;
    try {
      process.stderr.write(
        `\nSimulated Ollama backends: ${sims.map((s) => s.url).join(", ")}\n` +
          `Gateway (gRPC, ollama.v1.OllamaService): ${target}\n` +
          `Gateway (HTTP, Ollama's /api/* and OpenAI's /v1/*): http://127.0.0.1:${gateway.httpPort}\n\n` +
          `$ ollama-grpc chat --target ${target} --model ${values.model} "${values.prompt}"\n\n`,
      );
      const code = await clientCommand("chat", ["--target", target, "--model", values.model, "--deadline", "60s", values.prompt]);
      process.stderr.write(
        `\nThe same fleet answers Ollama and OpenAI clients (only their host changes):\n` +
          `  curl http://127.0.0.1:${gateway.httpPort}/api/chat -d '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}'\n` +
          `  curl http://127.0.0.1:${gateway.httpPort}/v1/chat/completions -d '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}'\n`,
      );
      if (code !== ExitCode.OK || !values.keep) return code;
      process.stderr.write(
        `\nThe gateway keeps running. Try:\n  grpcurl -plaintext ${target} list\n` +
          `  ollama-grpc status --admin 127.0.0.1:${gateway.adminPort}\n` +
          `  grpcurl -plaintext -d '{"model":"llama3.2","messages":[{"role":"ROLE_USER","content":"hi"}]}' ${target} ollama.v1.OllamaService/Chat\n` +
          `Ctrl-C to stop.\n`,
      );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      return ExitCode.OK;
    } finally {
      await gateway.close();
    }
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
    await shutdownTracing(); // exports the demo's spans when OTEL_* enabled tracing
  }
}
