/**
 * `ollama-grpc versions`: the gateway's version and each backend's Ollama
 * version (GetVersion), next to this CLI's own. (`ollama-grpc version` prints
 * only the local version and needs no gateway.) Backends that did not answer
 * are listed on stderr.
 */
import type { GetVersionResponse } from "../../gen/ollama/v1/ollama.js";
import { packageVersion } from "../common/package-files.js";
import { formatTable } from "./cli-output.js";
import { READ_COMMAND_FLAGS, runFleetRead } from "./fleet-read-command.js";

export const VERSIONS_HELP = `Usage: ollama-grpc versions [options]

Prints the gateway's version and the Ollama version of each of its backends.

Options:
${READ_COMMAND_FLAGS}`;

/** Runs the command; resolves with the exit code. */
export function versionsCommand(argv: string[]): Promise<number> {
  return runFleetRead(argv, {
    help: VERSIONS_HELP,
    call: (client, options) => client.getVersion({}, options),
    format: (response) => formatVersions(response, packageVersion()),
  });
}

/** Renders the versions: the gateway (and this CLI) first, then a BACKEND / OLLAMA table. */
export function formatVersions(response: GetVersionResponse, cliVersion: string): string {
  const rows = [["BACKEND", "OLLAMA"]];
  for (const backend of response.backends) rows.push([backend.backend, backend.reachable ? backend.version || "?" : "- (unreachable)"]);
  const versions = new Set(response.backends.filter((b) => b.reachable).map((b) => b.version));
  const header = `gateway ${response.gatewayVersion}` + (cliVersion === response.gatewayVersion ? "" : ` (this CLI: ${cliVersion})`) + "\n";
  const note = versions.size > 1 ? `note: backends run ${versions.size} different Ollama versions\n` : "";
  return header + (response.backends.length > 0 ? formatTable(rows) : "no backends\n") + note;
}
