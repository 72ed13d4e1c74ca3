/**
 * `ollama-grpc` command-line entry: dispatches to a command and turns its
 * result into the process exit code.
 */
import { ConfigError } from "../config/schema.js";
import { packageVersion } from "../common/package-files.js";
import { cpCommand, loadCommand, rmCommand, unloadCommand } from "./admin-commands.js";
import { clientCommand } from "./client-commands.js";
import { demoCommand } from "./demo-command.js";
import { embedCommand } from "./embed-command.js";
import { hashKeyCommand } from "./hash-key-command.js";
import { modelsCommand } from "./models-command.js";
import { statusCommand } from "./status-command.js";
import { psCommand } from "./ps-command.js";
import { pullCommand } from "./pull-command.js";
import { serveCommand } from "./serve-command.js";
import { showCommand } from "./show-command.js";
import { simCommand } from "./sim-command.js";
import { ExitCode, UsageError } from "./usage.js";
import { versionsCommand } from "./version-command.js";

const HELP = `Usage: ollama-grpc <command> [options]

Commands:
  serve      run the gRPC gateway in front of Ollama servers
  sim        run a simulated Ollama server (development and tests)
  chat       stream a chat answer from a gateway
  generate   stream a completion from a gateway
  models     list the models installed across the gateway's backends
  ps         list the models loaded in memory across the gateway's backends
  show       show a model's details, capabilities, parameters and template
  embed      print embeddings of texts
  versions   print the gateway's and each backend's Ollama version
  status     show the gateway's view of its backends (health, slots, models)
  pull       download a model on the backends, with live progress (management)
  rm         delete a model from the backends (management)
  cp         copy a model to a new name on the backends (management)
  load       load a model into memory on the backends (management)
  unload     unload a model from memory on the backends (management)
  hash-key   print the SHA-256 of an API key read from stdin (for auth.api_keys)
  demo       start simulated backends + gateway and stream a chat through them
  version    print the version

Run 'ollama-grpc <command> --help' for a command's options.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 invalid configuration,
64+N an RPC ended with gRPC status N (as grpcurl), 130 interrupted.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  sim: simCommand,
  chat: (argv) => clientCommand("chat", argv),
  generate: (argv) => clientCommand("generate", argv),
  models: modelsCommand,
  ps: psCommand,
  show: showCommand,
  embed: embedCommand,
  versions: versionsCommand,
  status: statusCommand,
  pull: pullCommand,
  rm: rmCommand,
  cp: cpCommand,
  load: loadCommand,
  unload: unloadCommand,
  "hash-key": hashKeyCommand,
  demo: demoCommand,
};

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(HELP);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === "version" || name === "--version") {
    console.log(packageVersion());
    return ExitCode.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`ollama-grpc: unknown command "${name}"\n\n${HELP}`);
    return ExitCode.USAGE;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`ollama-grpc ${name}: ${error.message}\nRun 'ollama-grpc ${name} --help' for usage.`);
      return ExitCode.USAGE;
    }
    if (error instanceof ConfigError) {
      console.error(`ollama-grpc ${name}: ${error.message}`);
      return ExitCode.CONFIG;
    }
    console.error(`ollama-grpc ${name}: ${(error as Error).stack ?? String(error)}`);
    return ExitCode.FAILURE;
  }
}
