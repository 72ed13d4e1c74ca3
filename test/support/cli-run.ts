/** Runs the compiled `ollama-grpc` CLI (make test builds it) to completion, bounded in time. */
import { spawn } from "node:child_process";
import { packageFile } from "../../src/common/package-files.js";

const CLI_BIN = packageFile("bin/ollama-grpc.js");

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` replaces the process environment when given; the run is killed (and rejects) after `timeoutMs`. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], ...(options.env !== undefined && { env: options.env }) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ollama-grpc ${args.join(" ")} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
