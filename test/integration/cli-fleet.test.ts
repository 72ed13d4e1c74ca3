/**
 * The fleet commands (ps, show, embed, versions, pull, rm, cp, load, unload)
 * as a user runs them: the compiled CLI in its own process against a real
 * gateway in front of three simulators (all in this process, on 127.0.0.1:0),
 * checking output and exit codes. Read-only checks run concurrently; the ones
 * that change the fleet (faults, pulls, loads, copies) run one after another.
 * Help texts and usage errors need no gateway and go through main() in this
 * process: a process start costs ~0.3 s of CPU, and the file must stay fast.
 * Runs the compiled CLI (make test builds first).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { packageFile, packageVersion } from "../../src/common/package-files.js";
import { simIdle, startTestFleet, startTestGateway, type TestFleet, type TestGateway } from "../support/harness.js";
import { unusedPort } from "../support/ports.js";

const BIN = packageFile("bin/ollama-grpc.js");

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Written to the child's stdin, which is then closed (default: stdin ignored). */
  input?: string;
  /** Called with the stderr collected so far, on every chunk; may signal the child. */
  onStderr?: (stderr: string, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** Runs the CLI to completion (bounded by `timeoutMs`). */
function cli(args: string[], options: RunOptions = {}): Promise<Finished> {
  const { input, onStderr, timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    if (input !== undefined) child.stdin!.end(input);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ollama-grpc ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let fleet: TestFleet; // management enabled; backends b1, b2, b3
let locked: TestGateway; // same simulators, management disabled
let partial: TestGateway; // b1 = the first simulator, b2 = nothing listening
let target: string;

beforeAll(async () => {
  if (!existsSync(packageFile("dist/src/cli/main.js"))) throw new Error("dist/ is missing: run `make build` (make test does it)");
  fleet = await startTestFleet({}, (config) => void (config.management.enabled = true), 3);
  locked = await startTestGateway(fleet.sims.map((sim) => sim.url));
  partial = await startTestGateway([fleet.sims[0]!.url, `http://127.0.0.1:${await unusedPort()}`]);
  target = fleet.target;
});
afterAll(async () => {
  await partial?.close();
  await locked?.close();
  await fleet?.close();
});

describe("help and usage errors (in process: the same main() the binary runs, without a process start each)", () => {
  /** Runs main(argv), collecting what it prints through console. */
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void out.push(args.join(" ")));
    const error = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void err.push(args.join(" ")));
    try {
      return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it("every command answers --help with exit 0, and the top-level help lists them", async () => {
    const commands = ["ps", "show", "embed", "versions", "pull", "rm", "cp", "load", "unload"];
    for (const command of commands) {
      const result = await run([command, "--help"]);
      expect(result.code, command).toBe(0);
      expect(result.out, command).toMatch(new RegExp(`^Usage: ollama-grpc ${command} `));
      expect(result.out, command).toMatch(/--target HOST:PORT/);
    }
    const top = await run(["--help"]);
    for (const command of commands) expect(top.out).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
  });

  it.each<[string[], RegExp]>([
    [["pull"], /missing MODEL/],
    [["cp", "llama3.2"], /missing DESTINATION/],
    [["rm", "a", "b"], /unexpected argument "b"/],
    [["embed", "hello"], /--model is required/],
    [["embed", "--model", "all-minilm", "--dimensions", "0", "x"], /--dimensions: must be positive/],
    [["load", "llama3.2", "--count", "some"], /--count: expected a non-negative integer/],
    [["load", "llama3.2", "--keep-alive", "soon"], /--keep-alive: not a duration/],
    [["ps", "--deadline", "soon"], /--deadline: not a positive duration/],
    [["versions", "--bogus"], /Unknown option/],
  ])("ollama-grpc %j is a usage error (exit 2)", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe.concurrent("read-only commands", () => {
  it("versions: the gateway's and every backend's; ps and versions warn about an unreachable backend on stderr", async ({ expect }) => {
    const [versions, json, partialVersions, partialPs] = await Promise.all([
      cli(["versions", "--target", target]),
      cli(["versions", "--target", target, "--json"]),
      cli(["versions", "--target", partial.target]),
      cli(["ps", "--target", partial.target]),
    ]);
    expect(versions.code, versions.stderr).toBe(0);
    expect(versions.stdout).toMatch(new RegExp(`^gateway ${packageVersion().replaceAll(".", "\\.")}$`, "m"));
    for (const backend of ["b1", "b2", "b3"]) expect(versions.stdout).toMatch(new RegExp(`^${backend}\\s+0\\.33\\.0-sim$`, "m"));
    expect(versions.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ gatewayVersion: packageVersion(), backends: [{ backend: "b1", reachable: true }, {}, {}] });

    expect(partialVersions.code).toBe(0);
    expect(partialVersions.stdout).toMatch(/^b2\s+- \(unreachable\)$/m);
    expect(partialVersions.stderr).toMatch(/^warning: backend b2 did not answer: .*ECONNREFUSED/m);
    expect(partialPs.code).toBe(0);
    expect(partialPs.stdout).toMatch(/ on 1\/2 backends$/m);
    expect(partialPs.stderr).toMatch(/^warning: backend b2 did not answer: .*ECONNREFUSED/m);
  });

  it("show: details, capabilities and the backend that answered; NOT_FOUND exits 69", async ({ expect }) => {
    const [show, onB3, missing] = await Promise.all([
      cli(["show", "qwen3", "--target", target]),
      cli(["show", "llama3.2", "--backend", "b3", "--json", "--target", target]),
      cli(["show", "no-such-model", "--target", target]),
    ]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^qwen3 \(backend b1\)$/m);
    expect(show.stdout).toMatch(/^ {4}architecture +qwen3$/m);
    expect(show.stdout).toMatch(/^ {4}context length +40960$/m);
    expect(show.stdout).toMatch(/ {2}Capabilities\n {4}completion\n {4}tools\n {4}thinking\n/);
    expect(show.stdout).toMatch(/ {2}Template\n {4}\{\{ \.Prompt \}\}\n/);
    expect(JSON.parse(onB3.stdout)).toMatchObject({ backend: "b3", capabilities: ["completion", "tools"], details: { family: "llama" } });
    expect(missing.code).toBe(64 + 5);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: model 'no-such-model' not found on any backend/m);
  });

  it("embed: one JSON vector per argument or stdin line, backend and tokens on stderr", async ({ expect }) => {
    const [args, stdin] = await Promise.all([
      cli(["embed", "--model", "all-minilm", "--dimensions", "8", "--target", target, "hello world", "gRPC"]),
      cli(["embed", "--model", "all-minilm", "--json", "--target", target], { input: "one\n\ntwo\r\nthree\n" }),
    ]);
    expect(args.code, args.stderr).toBe(0);
    const vectors = args.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as number[]);
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) {
      expect(vector).toHaveLength(8);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5); // Ollama L2-normalizes
    }
    expect(args.stderr).toMatch(/^\[backend b[123] · 2 inputs · \d+ tokens · 8 dimensions · total \S+\]$/m);

    expect(stdin.code, stdin.stderr).toBe(0);
    const response = JSON.parse(stdin.stdout) as { model: string; backend: string; embeddings: Array<{ values: number[] }> };
    expect(response).toMatchObject({ model: "all-minilm", backend: expect.stringMatching(/^b[123]$/) });
    expect(response.embeddings.map((e) => e.values.length)).toEqual([384, 384, 384]); // blank line skipped, CRLF accepted
    expect(stdin.stderr).toMatch(/· 3 inputs · \d+ tokens · 384 dimensions/);
  });

  it("management calls on a gateway without --enable-management exit 64 + PERMISSION_DENIED (71)", async ({ expect }) => {
    const commands = [["pull", "mistral"], ["load", "llama3.2"]]; // the streaming call and one of the four unary ones
    const results = await Promise.all(commands.map((args) => cli([...args, "--target", locked.target])));
    results.forEach((result, i) => {
      expect(result.code, commands[i]!.join(" ")).toBe(64 + 7);
      expect(result.stderr).toMatch(/^error: PERMISSION_DENIED: \w+ is a management call, and management calls are disabled/m);
      expect(result.stdout).toBe("");
    });
  });
});

describe("commands that change the fleet", () => {
  it("pull to all three with one backend failing: a line per status change per backend, a summary, exit 1", async () => {
    fleet.sims[1]!.setFault("*", { errorAfterTokens: 2 });
    try {
      const [partialPull, fullPull, failedPull] = await Promise.all([
        cli(["pull", "mistral", "--target", target]),
        cli(["pull", "phi3", "--backend", "b1", "--backend", "b3", "--target", target]),
        cli(["pull", "gemma", "--backend", "b2", "--target", target]),
      ]);
      expect(partialPull.code, partialPull.stderr).toBe(1);
      for (const backend of ["b1", "b3"]) {
        const lines = partialPull.stderr.split("\n").filter((line) => line.startsWith(`${backend}: `));
        // 13 progress messages per backend (3 layers x 3 byte updates), but only 7 distinct statuses.
        expect(lines).toEqual([
          `${backend}: pulling manifest`,
          expect.stringMatching(new RegExp(`^${backend}: pulling [0-9a-f]{12} \\(\\d+\\.\\d GB\\)$`)),
          expect.stringMatching(/pulling [0-9a-f]{12} \(1\.4 KB\)$/),
          expect.stringMatching(/pulling [0-9a-f]{12} \(96 B\)$/),
          `${backend}: verifying sha256 digest`,
          `${backend}: writing manifest`,
          `${backend}: success`,
        ]);
      }
      expect(partialPull.stderr).toMatch(/^b2: pulling manifest\n(?:.*\n)*b2: failed: .*model runner has unexpectedly stopped/m);
      expect(partialPull.stdout).toMatch(/^BACKEND +RESULT\nb1 +ok\nb2 +failed: .*unexpectedly stopped.*\nb3 +ok\npulled mistral on 2\/3 backends; failed on b2\n$/);

      expect(fullPull.code, fullPull.stderr).toBe(0);
      expect(fullPull.stdout).toMatch(/pulled phi3 on 2\/2 backends\n$/);
      expect(fullPull.stderr).not.toMatch(/^b2:/m);

      // Every backend failed: the RPC itself fails after the progress, 64 + INTERNAL (stream error line).
      expect(failedPull.code).toBe(64 + 13);
      expect(failedPull.stdout).toMatch(/^b2 +failed: /m);
      expect(failedPull.stderr).toMatch(/^error: INTERNAL: PullModel failed on every backend: b2: /m);
    } finally {
      fleet.sims[1]!.setFault("*", undefined);
    }
  });

  it("Ctrl-C during a pull cancels it (exit 130) and aborts the backend's download", async () => {
    const sim = fleet.sims[2]!;
    sim.configure({ tokensPerSecond: 5 }); // 13 progress lines: about 2.6 s unless cancelled
    try {
      const abortedBefore = sim.stats().abortedByClient;
      let signalled = false;
      const result = await cli(["pull", "llava", "--backend", "b3", "--target", target], {
        onStderr: (stderr, child) => {
          if (!signalled && stderr.includes("b3: pulling manifest")) {
            signalled = true;
            child.kill("SIGINT");
          }
        },
      });
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toMatch(/^cancelled$/m);
      await simIdle(sim, 2_000);
      expect(sim.stats().abortedByClient).toBe(abortedBefore + 1);
    } finally {
      sim.configure({ tokensPerSecond: 0 });
    }
  });

  it("load on chosen backends, ps shows it there; --count prefers a backend that has it; unload removes it", async () => {
    const loaded = await cli(["load", "llama3.2", "--backend", "b1", "--backend", "b3", "--keep-alive", "10m", "--target", target]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/^BACKEND +STATUS +TIME +ERROR\nb1 +ok +\S+\nb3 +ok +\S+\nloaded llama3\.2 on 2\/2 backends\n$/);

    const [psText, again] = await Promise.all([
      cli(["ps", "--target", target]),
      cli(["load", "llama3.2", "--count", "1", "--keep-alive", "10m", "--json", "--target", target]),
    ]);
    expect(psText.code, psText.stderr).toBe(0);
    expect(psText.stdout).toMatch(/^NAME +BACKEND +SIZE +VRAM +CONTEXT +UNTIL$/m);
    expect(psText.stdout).toMatch(/^llama3\.2:latest +b1 +2\.0 GB +2\.0 GB +\d+ +in (?:10m00s|9m\d\ds)$/m);
    expect(psText.stdout).toMatch(/^llama3\.2:latest +b3 /m);
    expect(psText.stdout).not.toMatch(/^llama3\.2:latest +b2 /m);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ results: [{ backend: "b1", ok: true }] });

    const unloaded = await cli(["unload", "llama3.2", "--backend", "b1", "--backend", "b3", "--target", target]);
    expect(unloaded.code, unloaded.stderr).toBe(0);
    expect(unloaded.stdout).toMatch(/unloaded llama3\.2 on 2\/2 backends\n$/);
    const after = JSON.parse((await cli(["ps", "--json", "--target", target])).stdout) as { models: Array<{ name: string }> };
    expect(after.models.map((m) => m.name)).not.toContain("llama3.2:latest");
  });

  it("cp then rm: per-backend results, exit 1 when some backend failed, 64 + NOT_FOUND when all did", async () => {
    const copied = await cli(["cp", "llama3.2", "scratch", "--backend", "b2", "--target", target]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toBe("BACKEND  STATUS  ERROR\nb2       ok\ncopied llama3.2 to scratch on 1/1 backends\n");

    const removed = await cli(["rm", "scratch", "--target", target]);
    expect(removed.code, removed.stderr).toBe(1);
    expect(removed.stdout).toMatch(/^b1 +NOT_FOUND +model 'scratch' not found$/m);
    expect(removed.stdout).toMatch(/^b2 +ok$/m);
    expect(removed.stdout).toMatch(/^deleted scratch on 1\/3 backends; failed on b1, b3$/m);

    const again = await cli(["rm", "scratch", "--target", target]);
    expect(again.code).toBe(64 + 5);
    expect(again.stderr).toMatch(/^error: NOT_FOUND: DeleteModel failed on every backend/m);
    expect(again.stderr).toMatch(/"reason":"ALL_BACKENDS_FAILED"/);
  });
});
