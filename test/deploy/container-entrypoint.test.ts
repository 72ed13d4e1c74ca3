/**
 * The container image without Docker (no engine on this machine): the
 * Dockerfile's runtime stage is reproduced as a directory from a clean build
 * (test/deploy/image-root.ts: the build stage's COPYs + `npm run build`, the
 * runtime stage's COPYs + `npm ci --omit=dev`), then its exact ENTRYPOINT +
 * CMD runs in front of a simulator, with the configuration file mounted over
 * the image's default as a deployment would. A COPY missing from the
 * runtime stage (gen/descriptor.binpb, bin/, the health check) fails start-up
 * or the health check here; a wrong path fails the reproduction itself.
 *
 * Absolute paths in the command (the --config file) are mapped into the
 * stage's directory; /usr/bin/tini is the host's (Debian's tini, the
 * package the Dockerfile installs): the test fails when it is missing.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import { packageRoot } from "../../src/common/package-files.js";
import { loadConfig } from "../../src/config/load.js";
import { startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { unusedPort } from "../support/ports.js";
import { environment, execForm, exposedPorts, parseHealthcheck, readDockerfile, single, type Dockerfile } from "./dockerfile.js";
import { inRoot, materialiseStage, type StageRoot } from "./image-root.js";

const ROOT = packageRoot();
const START_TIMEOUT_MS = 15_000;

let dockerfile: Dockerfile;
let image: StageRoot;
let scratch: string;

beforeAll(() => {
  dockerfile = readDockerfile(join(ROOT, "Dockerfile"));
  scratch = mkdtempSync(join(tmpdir(), "ollama-grpc-image-"));
  image = materialiseStage(dockerfile, dockerfile.runtime, ROOT, scratch);
}, 90_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("Dockerfile runtime stage", () => {
  it("runs as a numeric non-root user, under tini, in exec form", () => {
    const runtime = dockerfile.runtime;
    expect(single(runtime, "USER").rest).toMatch(/^[1-9]\d*(:\d+)?$/);
    const entrypoint = execForm(single(runtime, "ENTRYPOINT"));
    expect(entrypoint.slice(0, 2)).toEqual(["/usr/bin/tini", "--"]);
    expect(image.aptPackages).toContain("tini");
    expect(existsSync("/usr/bin/tini"), "tini is not installed on this machine (apt-get install tini; `make deps` installs it)").toBe(true);
    expect(image.steps.some((s) => s.startsWith("ran npm ci --omit=dev")), image.steps.join("\n")).toBe(true);
  });

  it("ships a default configuration that validates and listens on the EXPOSEd ports", () => {
    const command = [...execForm(single(dockerfile.runtime, "ENTRYPOINT")), ...execForm(single(dockerfile.runtime, "CMD"))];
    const file = inRoot(image.root, configArgument(command));
    const config = loadConfig({ config: file }, {});
    const port = (listen: string) => Number(listen.slice(listen.lastIndexOf(":") + 1));
    expect(exposedPorts(dockerfile.runtime).sort()).toEqual([port(config.listen), port(config.http.listen), port(config.admin.listen)].sort());
    for (const listen of [config.listen, config.http.listen, config.admin.listen]) expect(listen).toMatch(/^0\.0\.0\.0:/);
  });
});

describe("the image's ENTRYPOINT + CMD", () => {
  let sim: RunningSimulator;
  let gateway: ChildProcessByStdio<null, Readable, Readable>;
  let channel: Channel | undefined;
  let output = "";
  let env: Record<string, string>;
  let grpcPort: number;
  let adminPort: number;
  let httpPort: number;

  beforeAll(async () => {
    sim = await startSimulator({ tokensPerSecond: 50, tokens: 50, firstTokenMs: 0, defaultLoadMs: 0 });
    [grpcPort, adminPort, httpPort] = [await unusedPort(), await unusedPort(), await unusedPort()];
    const command = [...execForm(single(dockerfile.runtime, "ENTRYPOINT")), ...execForm(single(dockerfile.runtime, "CMD"))];
    // The deployment's own file replaces the image's default (a volume or ConfigMap mount).
    writeFileSync(
      inRoot(image.root, configArgument(command)),
      stringify({
        backends: [{ name: "sim", url: sim.url }],
        http: { listen: `127.0.0.1:${httpPort}` },
        admin: { listen: `127.0.0.1:${adminPort}` },
        streams: { drain_timeout: "10s" },
      }),
    );
    // The container's environment: the Dockerfile's ENV, plus the documented override of `listen`
    // (which the health check follows), nothing of this test process's own environment.
    env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, ...environment(dockerfile.runtime), OLLAMA_GRPC_LISTEN: `127.0.0.1:${grpcPort}` };
    const [program, ...args] = command.map((arg) => (arg.startsWith("/") && existsSync(inRoot(image.root, arg)) ? inRoot(image.root, arg) : arg));
    gateway = spawn(program as string, args, { cwd: image.workdir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    // tini warns that it is not PID 1 here (in the image it is); the warning is part of `output` only.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no "gateway listening" within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('"gateway listening"')) finish();
      };
      const onExit = (code: number | null): void => finish(new Error(`the entrypoint exited with ${code} before listening:\n${output}`));
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        gateway.off("exit", onExit);
        if (error === undefined) resolve();
        else reject(error);
      };
      gateway.stdout.on("data", onData);
      gateway.stderr.on("data", onData);
      gateway.once("exit", onExit);
    });
  }, 30_000);

  afterAll(async () => {
    channel?.close();
    // Only if the test failed before its SIGTERM: the whole group (tini and node) it started.
    if (gateway?.exitCode === null && gateway.pid !== undefined) process.kill(-gateway.pid, "SIGKILL");
    await sim?.close();
  });

  const healthcheck = (...extra: string[]) => {
    const { command } = parseHealthcheck(single(dockerfile.runtime, "HEALTHCHECK"));
    const [program, ...args] = command.map((arg) => (arg.startsWith("/") && existsSync(inRoot(image.root, arg)) ? inRoot(image.root, arg) : arg));
    return spawnSync(program as string, [...args, ...extra], { cwd: image.workdir, env, encoding: "utf8", timeout: 10_000 });
  };

  it("passes its HEALTHCHECK (grpc.health.v1), and the check fails for what is not serving", () => {
    const liveness = healthcheck();
    expect(liveness.status, liveness.stderr).toBe(0);
    const readiness = healthcheck("ollama.v1.OllamaService");
    expect(readiness.status, readiness.stderr).toBe(0);
    const unknown = healthcheck("no.such.Service");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("NOT_FOUND");
  });

  it("serves gRPC, the HTTP front door and /metrics, and drains an open stream on SIGTERM through tini, then exits 0", async () => {
    channel = createChannel(`127.0.0.1:${grpcPort}`);
    const client = createClient(OllamaServiceDefinition, channel);
    const version = await client.getVersion({});
    expect(version.backends.map((b) => b.backend)).toEqual(["sim"]);
    const root = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(await root.text()).toBe("Ollama is running");
    const metrics = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/ollama_grpc_requests_total\{[^}]*code="OK"[^}]*\} 1/);

    const stream = client.generate({ model: "llama3.2", prompt: "Why is the sky blue?" })[Symbol.asyncIterator]();
    const first = await stream.next();
    expect(first.done).toBe(false);

    const exited = new Promise<number | null>((resolve) => gateway.once("exit", (code) => resolve(code)));
    process.kill(gateway.pid as number, "SIGTERM"); // what `docker stop` / the kubelet sends to PID 1
    let last = first.value;
    let messages = 1;
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      last = next.value;
      messages += 1;
    }
    expect(last).toMatchObject({ done: true, doneReason: "stop" });
    expect(messages).toBeGreaterThan(1);
    expect(await exited).toBe(0);
    expect(output).toContain('"signal received: shutting down"');

    const after = healthcheck();
    expect(after.status).toBe(1);
  }, 30_000);
});

/** The value of `--config` in the image's command. */
function configArgument(command: string[]): string {
  const index = command.indexOf("--config");
  const value = command[index + 1];
  if (index < 0 || value === undefined) throw new Error(`the image's command has no --config FILE: ${JSON.stringify(command)}`);
  return value;
}
