/**
 * `ollama-grpc pull`: downloads a model on the gateway's backends
 * (PullModel) with live progress per backend on stderr. On a terminal, one
 * line per backend is redrawn in place; otherwise (logs, CI, tests) one plain
 * line is printed per status change of a backend, never per byte update. A
 * results table follows on stdout. Exit 0 when every backend succeeded, 1
 * when some failed, 64 + the gRPC code when the RPC failed, 130 on Ctrl-C
 * (which cancels the RPC, and so every pull).
 */
import type { PullModelResponse } from "../../gen/ollama/v1/ollama.js";
import { formatBytes, formatTable, printHelp, reportRpcError } from "./cli-output.js";
import { deadlineFlag, deadlineOption, expectPositionals } from "./usage.js";
import { createGatewayClient } from "./gateway-client.js";
import { ExitCode, parseCommandArgs } from "./usage.js";

export const PULL_HELP = `Usage: ollama-grpc pull [options] MODEL

Downloads MODEL on the gateway's backends in parallel, with live progress per
backend (PullModel, a management call). Ctrl-C cancels every pull.

Options:
  --backend NAME       pull on this backend only (repeatable; default: every backend)
  --insecure           allow insecure registries (plain HTTP, self-signed certificates)
  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --deadline DUR       gRPC deadline (default none)
  -h, --help           show this help`;

/** Minimum time between two in-place redraws caused by byte progress alone. */
const REDRAW_INTERVAL_MS = 100;

/** Runs the command; resolves with the exit code. */
export async function pullCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      target: { type: "string", default: "127.0.0.1:50051" },
      deadline: { type: "string" },
      backend: { type: "string", multiple: true },
      insecure: { type: "boolean" },
    },
    true,
  );
  if (values.help) return printHelp(PULL_HELP);
  const [model] = expectPositionals(positionals, ["MODEL"]);
  const deadlineMs = deadlineFlag(values.deadline);

  const err = process.stderr;
  const tty = err.isTTY === true;
  const view = new PullProgressView();
  let drawn = 0;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const redraw = (): void => {
    const lines = view.frame(err.columns ?? 80); // read each time: the terminal may have been resized
    err.write(redrawLines(drawn, lines));
    drawn = lines.length;
    drawnAt = performance.now();
  };

  const { client, channel } = createGatewayClient(values.target);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once("SIGINT", onSigint);
  try {
    const request = { model, backends: values.backend ?? [], insecure: values.insecure ?? false };
    for await (const message of client.pullModel(request, { signal: abort.signal, ...deadlineOption(deadlineMs) })) {
      const changes = view.apply(message);
      if (!tty) for (const line of changes) err.write(line + "\n");
      else if (changes.length > 0 || performance.now() - drawnAt >= REDRAW_INTERVAL_MS) redraw();
    }
    if (tty) redraw();
    process.stdout.write(view.summary(model));
    return view.allSucceeded() ? ExitCode.OK : ExitCode.FAILURE;
  } catch (error) {
    if (tty && drawn > 0) redraw();
    if (abort.signal.aborted) {
      err.write("cancelled\n");
      return ExitCode.INTERRUPTED;
    }
    if (view.backends().length > 0) process.stdout.write(view.summary(model));
    return reportRpcError(error);
  } finally {
    process.off("SIGINT", onSigint);
    channel.close();
  }
}

/** What one backend's pull has shown so far. */
interface BackendProgress {
  readonly name: string;
  status: string;
  total: number;
  completed: number;
  /** "done" after its success message, "failed" after its error message. */
  outcome: "running" | "done" | "failed";
  error: string;
}

/**
 * The pull display, free of I/O and terminal state so it can be tested:
 * feed it messages with {@link apply}; it returns the plain log lines they
 * produce, and {@link frame} returns the in-place view (one line per backend,
 * in order of first appearance, each cut to the terminal width).
 */
export class PullProgressView {
  readonly #backends = new Map<string, BackendProgress>();

  /** Records one message. Returns the plain lines to log: one when the backend's status changed, none for byte updates. */
  apply(message: PullModelResponse): string[] {
    let backend = this.#backends.get(message.backend);
    if (backend === undefined) {
      backend = { name: message.backend, status: "", total: 0, completed: 0, outcome: "running", error: "" };
      this.#backends.set(message.backend, backend);
    }
    const changed = message.status !== backend.status || (message.error !== "" && backend.outcome !== "failed");
    backend.status = message.status;
    backend.total = message.total;
    backend.completed = message.completed;
    if (message.error !== "") {
      backend.outcome = "failed";
      backend.error = message.error;
    } else if (message.done) {
      backend.outcome = "done";
    }
    if (!changed) return [];
    if (backend.outcome === "failed") return [`${backend.name}: failed: ${backend.error}`];
    return [`${backend.name}: ${backend.status}` + (backend.total > 0 ? ` (${formatBytes(backend.total)})` : "")];
  }

  /**
   * The in-place view: one line per backend, each shorter than `width` (the
   * terminal's columns), since a wrapped line would break the redraw.
   */
  frame(width = 80): string[] {
    const nameWidth = Math.max(0, ...[...this.#backends.keys()].map((name) => name.length));
    const limit = Math.max(1, width - 1);
    return [...this.#backends.values()].map((backend) => {
      const head = `${backend.name.padEnd(nameWidth)}  `;
      if (backend.outcome === "failed") return cut(`${head}failed: ${backend.error}`, limit);
      const line = head + backend.status;
      if (backend.outcome === "done" || backend.total <= 0) return cut(line, limit);
      const fraction = Math.min(1, Math.max(0, backend.completed / backend.total));
      const numbers = `${String(Math.floor(fraction * 100)).padStart(3)}%  ${bytes(backend.completed)}/${bytes(backend.total)}`;
      const barWidth = Math.min(30, limit - line.length - numbers.length - 4);
      return cut(barWidth < 5 ? `${line}  ${numbers}` : `${line}  ${bar(fraction, barWidth)}  ${numbers}`, limit);
    });
  }

  /** Backend names in order of first appearance. */
  backends(): string[] {
    return [...this.#backends.keys()];
  }

  /** True when at least one backend reported and every backend ended with success. */
  allSucceeded(): boolean {
    const all = [...this.#backends.values()];
    return all.length > 0 && all.every((backend) => backend.outcome === "done");
  }

  /** The final report: BACKEND / RESULT rows (sorted by name) and a summary line. */
  summary(model: string): string {
    const all = [...this.#backends.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rows = [["BACKEND", "RESULT"]];
    for (const backend of all) {
      rows.push([backend.name, backend.outcome === "done" ? "ok" : backend.outcome === "failed" ? `failed: ${backend.error}` : "interrupted"]);
    }
    const ok = all.filter((backend) => backend.outcome === "done").length;
    const failed = all.filter((backend) => backend.outcome !== "done").map((backend) => backend.name);
    return formatTable(rows) + `pulled ${model} on ${ok}/${all.length} backends` + (failed.length > 0 ? `; failed on ${failed.join(", ")}` : "") + "\n";
  }
}

/**
 * The escape sequence that replaces the `previous` lines drawn last time
 * (the cursor sits below them) with `lines`: cursor up, then each line
 * cleared and rewritten; leftover old lines are cleared.
 */
export function redrawLines(previous: number, lines: readonly string[]): string {
  let out = previous > 0 ? `\x1b[${previous}A` : "";
  for (const line of lines) out += `\r\x1b[2K${line}\n`;
  const leftover = previous - lines.length;
  if (leftover > 0) out += `\r\x1b[2K\n`.repeat(leftover) + `\x1b[${leftover}A`;
  return out;
}

function bar(fraction: number, width: number): string {
  const full = Math.floor(fraction * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

function bytes(count: number): string {
  return count > 0 ? formatBytes(count) : "0 B";
}

function cut(line: string, limit: number): string {
  return line.length <= limit ? line : line.slice(0, Math.max(0, limit - 1)) + "…";
}
