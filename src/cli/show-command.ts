/**
 * `ollama-grpc show`: one model's details as a backend holding it describes
 * them (ShowModel): architecture and sizes, capabilities, default
 * parameters, a summary of the template, system prompt and license, and the
 * backend that answered.
 */
import type { ShowModelResponse } from "../../gen/ollama/v1/ollama.js";
import { formatTable, printHelp, reportRpcError } from "./cli-output.js";
import { deadlineFlag, deadlineOption, expectPositionals } from "./usage.js";
import { createGatewayClient } from "./gateway-client.js";
import { ExitCode, parseCommandArgs } from "./usage.js";

export const SHOW_HELP = `Usage: ollama-grpc show [options] MODEL

Shows a model's details, capabilities, parameters and template, from a
backend that holds it.

Options:
  --backend NAME       ask this backend (default: the first that holds it)
  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --deadline DUR       gRPC deadline (default 10s)
  --json               print the response as JSON
  -h, --help           show this help`;

/** Runs the command; resolves with the exit code. */
export async function showCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      target: { type: "string", default: "127.0.0.1:50051" },
      deadline: { type: "string", default: "10s" },
      backend: { type: "string", default: "" },
      json: { type: "boolean" },
    },
    true,
  );
  if (values.help) return printHelp(SHOW_HELP);
  const [model] = expectPositionals(positionals, ["MODEL"]);
  const deadlineMs = deadlineFlag(values.deadline);
  const { client, channel } = createGatewayClient(values.target);
  try {
    const response = await client.showModel({ model, backend: values.backend }, deadlineOption(deadlineMs));
    process.stdout.write(values.json ? JSON.stringify(response, null, 2) + "\n" : formatShow(model, response));
    return ExitCode.OK;
  } catch (error) {
    return reportRpcError(error);
  } finally {
    channel.close();
  }
}

/** Renders a ShowModel answer as indented sections; empty sections are left out. */
export function formatShow(model: string, response: ShowModelResponse): string {
  const info = response.modelInfo ?? {};
  const architecture = stringValue(info["general.architecture"]) || response.details?.family || "";
  const facts = [
    ["architecture", architecture],
    ["parameters", response.details?.parameterSize ?? ""],
    ["context length", stringValue(info[`${architecture}.context_length`])],
    ["embedding length", stringValue(info[`${architecture}.embedding_length`])],
    ["quantization", response.details?.quantizationLevel ?? ""],
    ["format", response.details?.format ?? ""],
    ["parent", response.details?.parentModel ?? ""],
    ["modified", response.modifiedAt?.toISOString() ?? ""],
  ].filter(([, value]) => value !== "");
  const parameters = response.parameters
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const space = line.search(/\s/);
      return space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space).trim()];
    });
  const sections: string[] = [`${model} (backend ${response.backend})\n`];
  sections.push(section("Model", formatTable(facts)));
  if (response.capabilities.length > 0) sections.push(section("Capabilities", response.capabilities.join("\n")));
  if (parameters.length > 0) sections.push(section("Parameters", formatTable(parameters)));
  for (const [title, text] of [["Template", response.template], ["System", response.system], ["License", response.license]] as const) {
    if (text.trim() !== "") sections.push(section(title, summarize(text)));
  }
  return sections.join("\n");
}

/** The first non-blank line, cut at 72 characters, with the size of the rest: `{{ .System }} … (23 lines)`. */
export function summarize(text: string, maxChars = 72): string {
  const lines = text.trim().split("\n");
  const first = lines[0]!.trim();
  const cut = first.length > maxChars ? first.slice(0, maxChars - 1) + "…" : first;
  return lines.length > 1 ? `${cut} … (${lines.length} lines)` : cut;
}

function section(title: string, body: string): string {
  const lines = body.trimEnd().split("\n").map((line) => `    ${line}`);
  return `  ${title}\n${lines.join("\n")}\n`;
}

function stringValue(value: unknown): string {
  return typeof value === "number" || typeof value === "string" ? String(value) : "";
}
