/**
 * `ollama-grpc status`: the fleet as the gateway sees it, from the admin
 * endpoint's GET /status: each backend's health, ejection, slots in use,
 * models resident and installed, request and failure counts, and the
 * gateway queue.
 */
import { formatTable, printHelp } from "./cli-output.js";
import { ExitCode, deadlineFlag, parseCommandArgs } from "./usage.js";

export const STATUS_HELP = `Usage: ollama-grpc status [options]

Shows the gateway's view of its backends (from its admin endpoint).

Options:
  --admin HOST:PORT    the gateway's admin endpoint (default 127.0.0.1:50052; see admin.listen)
  --deadline DUR       time limit (default 5s)
  --json               print the raw status JSON
  -h, --help           show this help`;

interface EndpointStatus {
  name: string;
  url: string;
  priority: number;
  weight: number;
  health: string;
  ejected: boolean;
  draining: boolean;
  inFlight: number;
  maxConcurrency: number;
  models: string[] | null;
  loaded: string[];
  requests: number;
  failures: number;
}

interface ClusterStatus {
  name: string;
  models: string[];
  policy: string;
  queue: { length: number; maxLength: number; oldestWaitMs: number };
  endpoints: EndpointStatus[];
}

interface GatewayStatus {
  gateway?: { version?: string; port?: number };
  clusters: ClusterStatus[];
}

/** Runs the command; resolves with the exit code. */
export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    admin: { type: "string", default: "127.0.0.1:50052" },
    deadline: { type: "string", default: "5s" },
    json: { type: "boolean" },
  });
  if (values.help) return printHelp(STATUS_HELP);
  const deadlineMs = deadlineFlag(values.deadline) ?? 5_000;
  let body: string;
  try {
    const response = await fetch(`http://${values.admin}/status`, { signal: AbortSignal.timeout(deadlineMs) });
    body = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${body.trim()}`);
  } catch (error) {
    process.stderr.write(`error: cannot read the gateway status at http://${values.admin}/status: ${(error as Error).message}\n`);
    return ExitCode.FAILURE;
  }
  process.stdout.write(values.json ? body : formatStatus(JSON.parse(body) as GatewayStatus));
  return ExitCode.OK;
}

/** Renders each cluster as a table plus a summary line (with a heading when there are several). */
export function formatStatus(status: GatewayStatus): string {
  const version = status.gateway?.version === undefined ? "" : `gateway ${status.gateway.version} · `;
  const several = status.clusters.length > 1;
  return status.clusters
    .map((cluster) => (several ? `cluster ${cluster.name} (models ${cluster.models.join(", ")})\n` : "") + formatCluster(cluster, version))
    .join("\n");
}

function formatCluster(status: ClusterStatus, version: string): string {
  const rows = [["BACKEND", "STATE", "SLOTS", "RESIDENT", "INSTALLED", "REQUESTS", "FAILURES", "URL"]];
  for (const e of status.endpoints) {
    const state = e.draining ? "draining" : e.ejected ? "ejected" : e.health;
    rows.push([
      e.priority > 0 ? `${e.name} (p${e.priority})` : e.name,
      state,
      `${e.inFlight}/${e.maxConcurrency}`,
      e.loaded.length === 0 ? "-" : e.loaded.join(","),
      e.models === null ? "?" : String(e.models.length),
      String(e.requests),
      String(e.failures),
      e.url,
    ]);
  }
  const usable = status.endpoints.filter((e) => !e.draining && !e.ejected && e.health !== "unhealthy").length;
  return (
    formatTable(rows) +
    `${version}policy ${status.policy} · ${usable}/${status.endpoints.length} backends usable · queue ${status.queue.length}/${status.queue.maxLength}` +
    (status.queue.length > 0 ? ` (oldest ${status.queue.oldestWaitMs} ms)` : "") +
    "\n"
  );
}
