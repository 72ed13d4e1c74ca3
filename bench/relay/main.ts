/**
 * The relay benchmark (issue 6): how much the gateway costs on its hot path,
 * measured side by side with its baselines in one run.
 *
 *   make bench        # quick, under 3 minutes: every scenario once
 *   make bench-full   # the whole matrix, 3 repetitions, min/median/max
 *   node --import tsx bench/relay/main.ts [--full] [--reps N] [--only saturation,ttft,open,idle]
 *        [--sat-window-s S] [--open-window-s S] [--gateway-bin PATH] [--no-nginx] [--out DIR] [--strict] [--keep]
 *
 * Processes: the bench backend (backend.ts), the load generator
 * (load-gen.ts) and this orchestrator on core 1; the systems under test on
 * core 0, one at a time under load: the gateway, the full-stack gateway, the
 * nice-grpc ceiling server, nginx. Output: the Markdown report on stdout and
 * bench/results/relay-<mode>-<timestamp>.{md,json,png}. Exit code 0 even when
 * targets are missed (1 with --strict), 2 when dist/ is missing, 3 on a
 * harness failure.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { packageFile } from "../../src/common/package-files.js";
import { unusedPort } from "../../test/support/ports.js";
import { nginxVersion, startNginx } from "./nginx.js";
import { startOtlpSink } from "./otlp-sink.js";
import { parseOptions, type PathName } from "./plan.js";
import { canPin, killAllNow, stopAll, type Proc } from "./processes.js";
import { figuresOf, type Rows } from "./results.js";
import { renderRelayPlot } from "./plot.js";
import { renderReport } from "./report.js";
import { runIdle, runOpenLoop, runSaturation, runTtft, type Bench, type PathTarget } from "./scenarios.js";
import { HARNESS_CORE, LoadGen, startGateway, startNodeChild, SUT_CORE, tail, type GatewayHandle } from "./stack.js";
import { evaluateTargets } from "./targets.js";

const startedAt = new Date();
const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string): void => void process.stderr.write(`[${elapsed()}] ${line}\n`);

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(64);
}
const { plan } = options;
const gatewayBin = resolve(options.gatewayBin ?? packageFile("bin/ollama-grpc.js"));
const gatewayRoot = dirname(dirname(gatewayBin));
if (!existsSync(join(gatewayRoot, "dist/src/cli/main.js"))) {
  process.stderr.write(`${join(gatewayRoot, "dist")} is missing: run \`make build\` first\n`);
  process.exit(2);
}

// Every child goes when we go, however we go (children of a SIGKILLed orchestrator: see processes.ts watchdog).
const dir = mkdtempSync(join(tmpdir(), "relay-bench-"));
process.on("exit", () => {
  killAllNow();
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping every process`);
    void stopAll(1_000).finally(() => process.exit(130));
  });
}

/** The machine, as the report states it. */
function machine(): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  return `${cpus().length} vCPU ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${kernel}, Node ${process.version}` + (nginxVersion() === undefined ? "" : `, nginx ${nginxVersion()}`);
}

/** The gateway's commit (and whether its tree has changes), for the report. */
function gatewayDescription(): string {
  const git = (...args: string[]): string => {
    const r = spawnSync("git", ["-C", gatewayRoot, ...args], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : "";
  };
  const commit = git("rev-parse", "--short", "HEAD") || "unknown commit";
  const dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "gen") !== "" ? " + uncommitted changes in src/ or gen/" : "";
  const branch = git("rev-parse", "--abbrev-ref", "HEAD");
  return `${gatewayRoot} at ${commit}${branch === "" ? "" : ` (${branch})`}${dirty}, built dist/`;
}

async function main(): Promise<number> {
  const rows: Rows = { saturation: [], ttft: [], openLoop: [], idle: [] };
  const notes: string[] = [];
  const unavailable: Partial<Record<PathName, string>> = {};
  const procs: Proc[] = [];
  let sink: Awaited<ReturnType<typeof startOtlpSink>> | undefined;
  let scrape: NodeJS.Timeout | undefined;
  try {
    if (canPin) execFileSync("taskset", ["-a", "-pc", String(HARNESS_CORE), String(process.pid)], { stdio: "ignore" });
    else notes.push("taskset is not available: nothing was pinned, so the SUT shares cores with the harness.");
    log(`relay benchmark, ${plan.mode} plan, ${plan.reps} repetition(s); gateway ${gatewayBin}`);

    sink = await startOtlpSink();
    const otlpPort = sink.port;
    // Started side by side (each takes ~1 s of compiling and loading); the gateways once the backend listens.
    const [backend, ceiling, load] = await Promise.all([
      startNodeChild("backend", "backend.ts", HARNESS_CORE),
      startNodeChild("ceiling", "ceiling-server.ts", SUT_CORE),
      LoadGen.start(),
    ]);
    procs.push(backend.proc, ceiling.proc, load.proc);
    const backendUrls = backend.ports.map((p) => `http://127.0.0.1:${p}`);
    const backendUrl = backendUrls[0]!;
    const [gateway, full] = await Promise.all([
      startGateway("gateway", { bin: gatewayBin, dir, backendUrls, fullStack: false }),
      startGateway("gateway-full", { bin: gatewayBin, dir, backendUrls, fullStack: true, otlpPort }),
    ]);
    procs.push(gateway.proc, full.proc);

    const paths: Partial<Record<PathName, PathTarget>> = {
      direct: { target: { kind: "http", origins: backendUrls }, sut: undefined },
      ceiling: { target: { kind: "grpc", address: `127.0.0.1:${ceiling.ports[0]!}` }, sut: ceiling.proc },
      gateway: { target: gateway.target, sut: gateway.proc },
      "gateway-full": { target: full.target, sut: full.proc },
    };
    const version = nginxVersion();
    if (!options.nginx) unavailable.nginx = "--no-nginx";
    else if (version === undefined) unavailable.nginx = "the `nginx` command is not installed (Debian package nginx; `make bench` installs it)";
    else {
      const nginxPort = await unusedPort();
      const nginx = startNginx("nginx", { dir: join(dir, "nginx"), port: nginxPort, backendPorts: backend.ports, workers: 1, core: SUT_CORE, workerConnections: 12_000 });
      procs.push(nginx);
      paths.nginx = { target: { kind: "http", origins: [`http://127.0.0.1:${nginxPort}`] }, sut: nginx };
    }
    for (const [name, p] of Object.entries(paths)) {
      try {
        await load.waitUntilServing(p.target, p.sut);
        log(`  ${name} serving`);
      } catch (error) {
        const logFile = name === "gateway" ? gateway.logFile : name === "gateway-full" ? full.logFile : undefined;
        if (name !== "nginx") throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}${logFile === undefined ? "" : `\n${tail(logFile)}`}`);
        unavailable.nginx = `did not serve: ${error instanceof Error ? error.message : String(error)}`;
        delete paths.nginx;
      }
    }
    log(`processes up: backend :${backend.ports.join(",")}, ceiling :${ceiling.ports[0]!}, gateway :${gateway.port}, full-stack gateway :${full.port}${paths.nginx === undefined ? ", nginx not available" : ", nginx"}`);

    // Prometheus-style scraping of the full-stack gateway, as an operator's would.
    let scrapes = 0;
    scrape = setInterval(() => {
      fetch(`http://127.0.0.1:${full.adminPort}/metrics`)
        .then((r) => r.text())
        .then(() => void scrapes++, () => undefined);
    }, 5_000);

    const fresh: Bench["freshSut"] = async (path, streams) => {
      if (path === "gateway") {
        const g: GatewayHandle = await startGateway(`gateway-idle-${streams}`, { bin: gatewayBin, dir, backendUrls, fullStack: false });
        procs.push(g.proc);
        await load.waitUntilServing(g.target, g.proc);
        return { path: { target: g.target, sut: g.proc }, metricsUrl: `http://127.0.0.1:${g.adminPort}/metrics`, stop: () => g.proc.stop() };
      }
      if (path === "nginx") {
        const port = await unusedPort();
        // One nginx worker tops out below 10k proxied streams (2 fds each, hard limit 20000): 2 workers, both on core 0.
        const workers = streams > 4_000 ? 2 : 1;
        const n = startNginx(`nginx-idle-${streams}`, { dir: join(dir, `nginx-idle-${streams}`), port, backendPorts: backend.ports, workers, core: SUT_CORE, workerConnections: Math.min(19_000, Math.ceil((2 * streams) / workers) + 2_000) });
        procs.push(n);
        const target = { kind: "http", origins: [`http://127.0.0.1:${port}`] } as const;
        await load.waitUntilServing(target, n);
        return { path: { target, sut: n }, stop: () => n.stop() };
      }
      throw new Error(`idle: no fresh ${path}`);
    };
    const bench: Bench = {
      plan,
      load,
      backendUrl,
      paths,
      procs: () => procs.filter((p) => !p.exited()),
      freshSut: fresh,
      log,
      unavailable,
    };
    const selected = (s: string) => options.only === undefined || options.only.includes(s);
    for (let rep = 0; rep < plan.reps; rep++) {
      log(`repetition ${rep + 1} of ${plan.reps}`);
      if (selected("saturation")) await runSaturation(bench, rep, rows);
      if (selected("ttft")) await runTtft(bench, rep, rows);
      if (selected("open")) await runOpenLoop(bench, rep, rows);
      if (selected("idle")) await runIdle(bench, rep, rows);
    }
    clearInterval(scrape);

    const accessLines = readFileSync(full.logFile, "utf8").split("\n").filter((l) => l.includes('"msg":"rpc"')).length;
    const { exports, bytes } = sink.stats();
    notes.push(
      `Full stack: API-key auth, quotas (memory store; request rate, concurrent streams and tokens per minute, limits never reached), ` +
        `max_stream_duration 1h, tracing (OTLP/gRPC to a fake collector, parentbased_traceidratio 0.1), access logs at info to a file, /metrics scraped every 5 s. ` +
        `This run: ${accessLines} access-log lines, ${exports} OTLP exports (${(bytes / 1e3).toFixed(0)} kB), ${scrapes} scrapes.`,
    );
    if (plan.mode === "quick") {
      notes.push(
        "Quick plan: one repetition with short windows. Single figures move by ±10-25 % between runs on this machine, and the gateway's at 1000 streams by up to ±50 % " +
          "(the ratio targets inherit both sides' noise); `make bench-full` (3 repetitions, 6 s and 20 s windows) is the one to judge by.",
      );
    }
    const foreign = [...rows.saturation, ...rows.ttft, ...rows.openLoop].map((r) => r.conditions.foreignPct);
    if (foreign.length > 0) {
      const worst = Math.max(...foreign);
      notes.push(
        `Foreign CPU (busy time of processes outside the harness) during the windows: median ${median(foreign).toFixed(1)}%, max ${worst.toFixed(1)}% of a core` +
          (worst > 10 ? ": some rows were measured while other tenants used the machine; see conditions.foreignPct in the JSON." : "."),
      );
    }
    notes.push(
      "SUT = system under test (gateway, full-stack gateway, nice-grpc ceiling or nginx); its CPU is the run time of its threads (/proc/PID/task/*/schedstat) between the window edges. " +
        "SUT µs/request includes the SUT's background work (health checks and catalogue polls of 8 endpoints: about 1 % of a core for an idle gateway), which dominates at concurrency 1.",
    );

    // Report.
    const figures = figuresOf(rows);
    const targets = evaluateTargets(figures, { nginx: unavailable.nginx === undefined, fullOnly: (what) => plan.fullOnly.includes(what) || plan.mode === "quick" });
    const command = plan.mode === "quick" ? "make bench" : "make bench-full";
    const durationS = (performance.now() - t0) / 1000;
    const context = {
      title: `Relay benchmark (${plan.mode})`,
      command: `${command}${process.argv.length > 2 ? ` (node --import tsx bench/relay/main.ts ${process.argv.slice(2).join(" ")})` : ""}`,
      when: startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
      machine: machine(),
      gateway: gatewayDescription(),
      layout: canPin
        ? `systems under test pinned to core ${SUT_CORE} (taskset); backend, load generator and orchestrator on core ${HARNESS_CORE}`
        : "nothing pinned (taskset unavailable)",
      reps: plan.reps,
      durationS,
      unavailable,
      notes,
    };
    const markdown = renderReport(context, rows, targets);
    mkdirSync(options.outDir, { recursive: true });
    const stamp = startedAt.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
    const base = join(options.outDir, `relay-${plan.mode}-${stamp}`);
    writeFileSync(`${base}.md`, markdown);
    writeFileSync(`${base}.json`, `${JSON.stringify({ benchmark: "relay", ...context, plan, targets, figures, rows }, null, 1)}\n`);
    writeFileSync(`${base}.png`, renderRelayPlot(rows, `RELAY BENCHMARK (${plan.mode.toUpperCase()})`, `${context.when}  ${gatewayDescription().split(" ")[2] ?? ""}  ${plan.reps} REP(S)`));
    process.stdout.write(`${markdown}\n`);
    log(`wrote ${base}.md, .json, .png`);
    const missed = targets.filter((t) => t.verdict === "MISSED").length;
    return options.strict && missed > 0 ? 1 : 0;
  } finally {
    clearInterval(scrape);
    await stopAll();
    sink?.close();
    if (options.keep) log(`kept ${dir} (configs and logs)`);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`relay benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    void stopAll(1_000).finally(() => process.exit(3));
  },
);
