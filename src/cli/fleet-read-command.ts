/**
 * The shape shared by the read-only fleet commands (`models`, `ps`,
 * `versions`): --target, --deadline (10s), --json; one unary call; a table or
 * JSON on stdout; backends that did not answer warned about on stderr (the
 * command still succeeds: partial answers are answers).
 */
import type { GatewayClient } from "./gateway-client.js";
import { printHelp, reportRpcError } from "./cli-output.js";
import { createGatewayClient } from "./gateway-client.js";
import { deadlineFlag, deadlineOption, ExitCode, parseCommandArgs } from "./usage.js";

/** Flags every read command takes, for its help text. */
export const READ_COMMAND_FLAGS = `  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --deadline DUR       gRPC deadline (default 10s)
  --json               print the response as JSON
  -h, --help           show this help`;

/** One read command: its help, its call, and how to render the answer. */
export interface FleetReadCommand<R extends { backends: ReadonlyArray<{ backend: string; reachable: boolean; error: string }> }> {
  help: string;
  call(client: GatewayClient["client"], options: { deadline?: Date }): Promise<R>;
  format(response: R): string;
}

/** Runs a read command with `argv`; resolves with the exit code. */
export async function runFleetRead<R extends { backends: ReadonlyArray<{ backend: string; reachable: boolean; error: string }> }>(
  argv: string[],
  command: FleetReadCommand<R>,
): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    target: { type: "string", default: "127.0.0.1:50051" },
    deadline: { type: "string", default: "10s" },
    json: { type: "boolean" },
  });
  if (values.help) return printHelp(command.help);
  const deadlineMs = deadlineFlag(values.deadline);
  const { client, channel } = createGatewayClient(values.target);
  try {
    const response = await command.call(client, deadlineOption(deadlineMs));
    process.stdout.write(values.json ? JSON.stringify(response, null, 2) + "\n" : command.format(response));
    for (const backend of response.backends.filter((b) => !b.reachable)) {
      process.stderr.write(`warning: backend ${backend.backend} did not answer: ${backend.error}\n`);
    }
    return ExitCode.OK;
  } catch (error) {
    return reportRpcError(error);
  } finally {
    channel.close();
  }
}
