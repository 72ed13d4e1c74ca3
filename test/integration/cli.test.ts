/**
 * The `ollama-grpc` command as a user runs it: separate processes for the
 * simulator and the gateway, a streamed chat, a deadline that aborts the
 * simulator's request, exit codes, and a clean SIGTERM shutdown.
 * Runs the compiled CLI (make test builds first).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageFile } from "../../src/common/package-files.js";
import { runCli, type Finished } from "../support/cli-run.js";
import { unusedPort } from "../support/ports.js";

const BIN = packageFile("bin/ollama-grpc.js");
const children: ChildProcessWithoutNullStreams[] = [];

/** Runs the CLI to completion (bounded by `timeoutMs`). */
function cli(args: string[], timeoutMs = 15_000): Promise<Finished> {
  return runCli(args, { timeoutMs });
}

/** Starts a long-running CLI process and waits until a line matches `ready`. */
function start(args: string[], ready: RegExp, timeoutMs = 10_000): Promise<ChildProcessWithoutNullStreams> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    children.push(child);
    let output = "";
    const timer = setTimeout(() => reject(new Error(`not ready: ${args.join(" ")}\n${output}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready: ${output}`));
    });
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));
}


beforeAll(() => {
  if (!existsSync(packageFile("dist/src/cli/main.js"))) throw new Error("dist/ is missing: run `make build` (make test does it)");
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("usage and exit codes", () => {
  it.each([
    [["--help"], 0, /Commands:/],
    [["serve", "--help"], 0, /--max-stream-duration/],
    [["sim", "--help"], 0, /--tokens-per-second/],
    [["chat", "--help"], 0, /--deadline/],
    [["models", "--help"], 0, /--json/],
    [["hash-key", "--help"], 0, /SHA-256/],
    [["bogus"], 2, /unknown command/],
    [["chat", "hello"], 2, /--model is required/],
    [["serve", "--no-such-flag"], 2, /Unknown option/],
    [["serve", "--listen", "nowhere"], 3, /listen: expected HOST:PORT/],
    [["serve", "--backend", "ftp://x"], 3, /backends\[0\]\.url/],
  ])("ollama-grpc %j exits %i", async (args, code, output) => {
    const result = await cli(args as string[]);
    expect(result.code).toBe(code);
    expect(result.stdout + result.stderr).toMatch(output);
  });
});

it("hash-key prints the SHA-256 of the key on stdin", async () => {
  const { spawnSync } = await import("node:child_process");
  const result = spawnSync(process.execPath, [BIN, "hash-key"], { input: "secret-key\n", encoding: "utf8", timeout: 10_000 });
  expect(result.status).toBe(0);
  const { createHash } = await import("node:crypto");
  expect(result.stdout.trim()).toBe(createHash("sha256").update("secret-key").digest("hex"));
});

it("serve --print-config masks a Redis password", async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-cfg-"));
  try {
    const file = join(dir, "config.yaml");
    writeFileSync(file, "quotas:\n  store: redis\n  redis:\n    url: redis://:hunter2-secret@cache.internal:6379/0\n");
    const { code, stdout } = await cli(["serve", "--config", file, "--print-config"]);
    expect(code).toBe(0);
    expect(stdout).toContain("redis://:redacted@cache.internal:6379/0");
    expect(stdout).not.toContain("hunter2");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("sim + serve from the CLI: chat streams, a 300 ms deadline aborts the simulator's request, SIGTERM exits 0", async () => {
  const simPort = await unusedPort();
  const gatewayPort = await unusedPort();
  const sim = await start(["sim", "--listen", `127.0.0.1:${simPort}`, "--tokens-per-second", "200", "--tokens", "200"], /listening on/);
  const serve = await start(
    ["serve", "--listen", `127.0.0.1:${gatewayPort}`, "--backend", `local=http://127.0.0.1:${simPort}`, "--admin-listen", "127.0.0.1:0"],
    /gateway listening/,
  );
  const target = `127.0.0.1:${gatewayPort}`;

  const ok = await cli(["chat", "--target", target, "--model", "llama3.2", "Say hello"]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stdout.trim().split(/\s+/).length).toBeGreaterThanOrEqual(10);
  expect(ok.stderr).toMatch(/backend local · 200 tokens/);

  const models = await cli(["models", "--target", target]);
  expect(models.code, models.stderr).toBe(0);
  expect(models.stdout).toMatch(/^llama3\.2:latest\s.*local$/m);

  const slow = await cli(["generate", "--target", target, "--model", "llama3.2", "--deadline", "300ms", "--temperature", "0", "long story"]);
  expect(slow.code).toBe(64 + 4); // 64 + DEADLINE_EXCEEDED
  expect(slow.stderr).toMatch(/DEADLINE_EXCEEDED/);

  // Another process: the abort may land a moment after the CLI exits. Poll, bounded (20 x 50 ms).
  let stats: { active: number; abortedByClient: number } = { active: -1, abortedByClient: -1 };
  for (let i = 0; i < 20; i++) {
    stats = (await (await fetch(`http://127.0.0.1:${simPort}/sim/stats`)).json()) as typeof stats;
    if (stats.active === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(stats).toMatchObject({ active: 0, abortedByClient: 1 });

  serve.kill("SIGTERM");
  sim.kill("SIGTERM");
  expect(await exited(serve)).toBe(0);
  expect(await exited(sim)).toBe(0);
});
