/**
 * A real redis-server for tests (installed by `make deps` from Debian): on
 * 127.0.0.1, a free port, no persistence, stopped by `stop()`. Start-up waits
 * for the server's own "Ready to accept connections" line, bounded in time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { unusedPort } from "./ports.js";

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const REDIS_BINARY = "/usr/bin/redis-server";
const START_TIMEOUT_MS = 10_000;

/** True when redis-server is installed (make deps installs it). */
export function redisAvailable(): boolean {
  return existsSync(REDIS_BINARY);
}

/** Starts redis-server on `port` (a fresh free port by default). */
export async function startRedis(port?: number): Promise<TestRedis> {
  const chosen = port ?? (await unusedPort());
  const child = spawn(REDIS_BINARY, ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await waitReady(child);
  let exited: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    stop() {
      exited ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      });
      return exited;
    },
  };
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => finish(new Error(`redis-server not ready within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`redis-server exited with ${code}:\n${output}`));
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error === undefined) {
        child.stdout?.resume(); // later log lines are discarded, so a full pipe never blocks the server
        resolve();
      }
      else {
        child.kill("SIGKILL");
        reject(error);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}
