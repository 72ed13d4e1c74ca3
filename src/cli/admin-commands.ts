/**
 * `ollama-grpc rm`, `cp`, `load` and `unload`: the management RPCs that act
 * on several backends at once (DeleteModel, CopyModel, LoadModel,
 * UnloadModel). Each prints one row per backend and exits 0 when every
 * backend succeeded, 1 when some failed, 64 + the gRPC code when the RPC
 * itself failed (e.g. 71 = PERMISSION_DENIED when management is disabled).
 *
 * Also the output helpers shared by the fleet commands (ps, pull, embed,
 * show, versions): aligned tables, byte sizes, deadlines, RPC error reports.
 */
import { Status } from "nice-grpc";
import type { BackendResult } from "../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../gen/google/protobuf/duration.js";
import { formatDurationMs } from "../common/duration.js";
import { formatTable, printHelp, reportRpcError } from "./cli-output.js";
import { createGatewayClient, type GatewayClient } from "./gateway-client.js";
import { deadlineFlag, deadlineOption, ExitCode, expectPositionals, intFlag, keepAliveFlag, parseCommandArgs } from "./usage.js";

const COMMON_FLAGS = `  --backend NAME       act on this backend only (repeatable; default: every backend)
  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --json               print the response as JSON
  -h, --help           show this help`;

export const RM_HELP = `Usage: ollama-grpc rm [options] MODEL

Deletes MODEL from the gateway's backends (DeleteModel, a management call).

Options:
  --deadline DUR       gRPC deadline (default 30s)
${COMMON_FLAGS}`;

export const CP_HELP = `Usage: ollama-grpc cp [options] SOURCE DESTINATION

Copies model SOURCE to the new name DESTINATION on the gateway's backends
(CopyModel, a management call).

Options:
  --deadline DUR       gRPC deadline (default 30s)
${COMMON_FLAGS}`;

export const LOAD_HELP = `Usage: ollama-grpc load [options] MODEL

Loads MODEL into memory on the backends that hold it (LoadModel, a management
call), so capacity is warm before traffic arrives.

Options:
  --count N            load on N of the candidate backends, those where it is
                       already loaded first (default 0: every candidate)
  --keep-alive DUR     keep it loaded this long once idle, e.g. 30m; "forever"
                       (or --keep-alive=-1) never unloads it (default: Ollama's)
  --deadline DUR       gRPC deadline (default 5m)
${COMMON_FLAGS}`;

export const UNLOAD_HELP = `Usage: ollama-grpc unload [options] MODEL

Unloads MODEL from memory on the gateway's backends once their in-flight
requests finish (UnloadModel, a management call).

Options:
  --deadline DUR       gRPC deadline (default 30s)
${COMMON_FLAGS}`;

const FLAGS = {
  target: { type: "string", default: "127.0.0.1:50051" },
  deadline: { type: "string", default: "30s" },
  backend: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

/** Runs `ollama-grpc rm`; resolves with the exit code. */
export async function rmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS, true);
  if (values.help) return printHelp(RM_HELP);
  const [model] = expectPositionals(positionals, ["MODEL"]);
  return runAdmin(values, `deleted ${model}`, (client, options) =>
    client.deleteModel({ model, backends: values.backend ?? [] }, options),
  );
}

/** Runs `ollama-grpc cp`; resolves with the exit code. */
export async function cpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS, true);
  if (values.help) return printHelp(CP_HELP);
  const [source, destination] = expectPositionals(positionals, ["SOURCE", "DESTINATION"]);
  return runAdmin(values, `copied ${source} to ${destination}`, (client, options) =>
    client.copyModel({ source, destination, backends: values.backend ?? [] }, options),
  );
}

/** Runs `ollama-grpc load`; resolves with the exit code. */
export async function loadCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { ...FLAGS, deadline: { type: "string", default: "5m" }, count: { type: "string" }, "keep-alive": { type: "string" } },
    true,
  );
  if (values.help) return printHelp(LOAD_HELP);
  const [model] = expectPositionals(positionals, ["MODEL"]);
  const count = intFlag(values.count, "count") ?? 0;
  const keepAlive = values["keep-alive"] === undefined ? undefined : keepAliveFlag(values["keep-alive"]);
  return runAdmin(
    values,
    `loaded ${model}`,
    (client, options) => client.loadModel({ model, backends: values.backend ?? [], count, keepAlive }, options),
    (results) => {
      const loaded = results.filter((result) => result.ok).length;
      return count > loaded ? `only ${loaded} of the ${count} requested backends could load ${model}` : undefined;
    },
  );
}

/** Runs `ollama-grpc unload`; resolves with the exit code. */
export async function unloadCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS, true);
  if (values.help) return printHelp(UNLOAD_HELP);
  const [model] = expectPositionals(positionals, ["MODEL"]);
  return runAdmin(values, `unloaded ${model}`, (client, options) =>
    client.unloadModel({ model, backends: values.backend ?? [] }, options),
  );
}

type Client = GatewayClient["client"];

/** Calls one admin RPC and prints its per-backend results. */
async function runAdmin(
  values: { target: string; deadline: string; json?: boolean | undefined },
  done: string,
  call: (client: Client, options: { deadline?: Date }) => Promise<{ results: BackendResult[] }>,
  shortfall: (results: readonly BackendResult[]) => string | undefined = () => undefined,
): Promise<number> {
  const deadlineMs = deadlineFlag(values.deadline);
  const { client, channel } = createGatewayClient(values.target);
  try {
    const response = await call(client, deadlineOption(deadlineMs));
    process.stdout.write(values.json ? JSON.stringify(response, null, 2) + "\n" : formatResults(response.results, done));
    const missing = shortfall(response.results);
    if (missing !== undefined) process.stderr.write(`warning: ${missing}\n`);
    return missing === undefined && response.results.every((result) => result.ok) ? ExitCode.OK : ExitCode.FAILURE;
  } catch (error) {
    return reportRpcError(error);
  } finally {
    channel.close();
  }
}

/**
 * Renders BackendResults: BACKEND, STATUS (ok or the gRPC code name), TIME
 * (when any result has a duration) and ERROR, then a summary line such as
 * "deleted x on 1/3 backends; failed on b1, b3".
 */
export function formatResults(results: readonly BackendResult[], done: string): string {
  const timed = results.some((result) => result.duration !== undefined);
  const rows = [["BACKEND", "STATUS", ...(timed ? ["TIME"] : []), "ERROR"]];
  for (const result of results) {
    const status = result.ok ? "ok" : (Status[result.code] ?? `code ${result.code}`);
    const time = result.duration === undefined ? "-" : formatDurationMs(durationToMs(result.duration));
    rows.push([result.backend, status, ...(timed ? [time] : []), result.error]);
  }
  const ok = results.filter((result) => result.ok).length;
  const failed = results.filter((result) => !result.ok).map((result) => result.backend);
  const summary = `${done} on ${ok}/${results.length} backends` + (failed.length > 0 ? `; failed on ${failed.join(", ")}` : "");
  return (results.length > 0 ? formatTable(rows) : "") + summary + "\n";
}

function durationToMs(duration: Duration): number {
  return duration.seconds * 1_000 + duration.nanos / 1e6;
}
