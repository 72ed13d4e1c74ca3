/**
 * A non-Node caller works: a Python client whose stubs protoc generates from
 * proto/ streams Chat through the gateway, and its 300 ms deadline (a real
 * grpc-timeout) ends a slow stream with DEADLINE_EXCEEDED while the
 * simulator records the request as aborted.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { packageFile } from "../../src/common/package-files.js";
import { generatePythonStubs, PYTHON } from "../support/python-stubs.js";
import { simIdle, startTestFleet, type TestFleet } from "../support/harness.js";

const run = promisify(execFile);
let stubs: string;
let removeStubs: (() => void) | undefined;
let fleet: TestFleet;

beforeAll(async () => {
  const generated = await generatePythonStubs();
  stubs = generated.dir;
  removeStubs = generated.remove;
  fleet = await startTestFleet({ tokens: 10, tokensPerSecond: 0 });
});
afterAll(async () => {
  await fleet?.close();
  removeStubs?.();
});

async function python(args: string[]): Promise<{ lines: Array<Record<string, unknown>>; code: number }> {
  try {
    const { stdout } = await run(PYTHON, [packageFile("test/python/chat_client.py"), stubs, fleet.target, ...args], { timeout: 20_000 });
    return { lines: parse(stdout), code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    if (failed.code !== 1) throw new Error(`python client crashed: ${failed.stderr ?? String(error)}`);
    return { lines: parse(failed.stdout ?? ""), code: 1 };
  }
}

function parse(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}

it("streams Chat token by token from Python", async () => {
  const { lines, code } = await python(["llama3.2", "Hello from Python"]);
  expect(code).toBe(0);
  expect(lines.filter((l) => "content" in l)).toHaveLength(10);
  expect(lines.at(-1)).toEqual({
    done: true,
    done_reason: "stop",
    backend: "b1",
    eval_count: 10,
    has_optional_temperature: true,
    trailer_eval_count: "10",
  });
  expect(fleet.sim.requests().filter((r) => r.path === "/api/chat").at(-1)?.body).toMatchObject({ options: { temperature: 0.2, num_predict: 1000 } });
});

it("a 300 ms deadline on a slow stream returns DEADLINE_EXCEEDED and aborts the simulator's request", async () => {
  fleet.sim.configure({ tokensPerSecond: 20, tokens: 1_000 });
  const aborted = fleet.sim.stats().abortedByClient;
  const { lines, code } = await python(["llama3.2", "A slow story", "0.3"]);
  expect(code).toBe(1);
  expect(lines.at(-1)).toMatchObject({ error: "DEADLINE_EXCEEDED" });
  expect(lines.filter((l) => "content" in l).length).toBeGreaterThan(0);
  await simIdle(fleet.sim, 100);
  expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
});
