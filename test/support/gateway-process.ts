/**
 * A gateway in its own process (`bin/ollama-grpc.js serve`, built by
 * `make build`), configured by a YAML file written to a temporary
 * directory. Resolves once the process logs "gateway listening", with the
 * ports it bound. `stop()` sends SIGTERM and waits (SIGKILL after 5 s).
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { packageFile } from "../../src/common/package-files.js";

export interface GatewayProcess {
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number | undefined;
  /** Everything the process wrote so far. */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** Starts `ollama-grpc serve` with `config` (file format) and extra environment. */
export async function startGatewayProcess(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-gw-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [packageFile("bin/ollama-grpc.js"), "serve", "--config", file], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let ports: { port: number; adminPort: number | undefined };
  try {
    ports = await listening(child, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    cleanup();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    ...ports,
    pid: child.pid as number,
    output: () => output,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      });
      return stopped;
    },
  };
}

/** Waits for the "gateway listening" log line and reads the ports from it. */
function listening(child: ChildProcessByStdio<null, Readable, Readable>, output: () => string): Promise<{ port: number; adminPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`gateway process not listening within ${START_TIMEOUT_MS} ms:\n${output()}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      for (const line of output().split("\n")) {
        if (!line.includes('"gateway listening"')) continue;
        const parsed = JSON.parse(line) as { port: number; adminPort?: number };
        finish(undefined, { port: parsed.port, adminPort: parsed.adminPort });
        return;
      }
    };
    const onExit = (code: number | null): void => finish(new Error(`gateway process exited with ${code}:\n${output()}`));
    const finish = (error?: Error, ports?: { port: number; adminPort: number | undefined }): void => {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.off("exit", onExit);
      if (error !== undefined) reject(error);
      else resolve(ports as { port: number; adminPort: number | undefined });
    };
    child.stdout.on("data", onData);
    child.once("exit", onExit);
  });
}
