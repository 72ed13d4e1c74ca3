/**
 * HTTP doors benchmark: what a relayed token costs the gateway through each
 * front door, side by side in one run.
 *
 *   make bench-http                          # = node --import tsx bench/http-doors.ts (~2 min: 24 measurements of 1 s + 2.5 s)
 *   node --import tsx bench/http-doors.ts --targets ollama --concurrency 100 --reps 1
 *   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node --import tsx bench/http-doors.ts --targets openai
 *
 * Processes (bench/relay/processes.ts: pinned with taskset when it works, fd
 * limit raised, stopped on exit, error or signal, and a watchdog kills the
 * gateway should this process die):
 * - core 0: the gateway (`node bin/ollama-grpc.js serve` from dist/, log level
 *   warn, admin off, gRPC and `http.listen` on free loopback ports);
 * - core 1: the bench backend (bench/relay/backend.ts: Ollama-shaped NDJSON,
 *   one write per token line, unpaced: `--tokens` lines per answer as fast as
 *   the socket takes them) and this process, the load generator.
 *
 * Targets, each a closed loop of N concurrent streams (N = 1, 10, 100):
 * - grpc:   ollama.v1.OllamaService/Chat through the gateway (nice-grpc client;
 *           responses are counted, not decoded: an identity deserializer);
 * - ollama: POST /api/chat on the gateway's Ollama door (undici, NDJSON lines counted);
 * - openai: POST /v1/chat/completions, "stream": true (undici, SSE events counted);
 * - direct: POST /api/chat on the backend itself (no gateway: the harness ceiling).
 * Every client counts frames without parsing them; before measuring, one probe
 * stream per target is decoded in full and must carry exactly the asked number
 * of tokens in one frame each, plus the end frames (1 for NDJSON and gRPC: the
 * done message; 2 for SSE: the finish chunk and [DONE]). The end frames of a
 * completed stream are subtracted from the token count.
 *
 * Method: first every gateway target runs once, unreported (10 streams, warm-up + 0.5 s:
 * JIT, pools, heap). Then per measurement, wait (at most 2 s) until foreign CPU (busy time of
 * the cores that none of our processes accounts for) is below 10 % of a
 * core; start N streams; once each has had its first frame, warm up (--warmup-s),
 * then count tokens and read every process's CPU over the window (--window-s;
 * gateway CPU = its threads' run time from /proc/PID/task/TID/schedstat,
 * utime + stime from /proc/PID/stat where not available); then abort the
 * streams and wait until the backend holds none. Repetitions alternate the
 * order of the targets (forward, reversed); the table shows every repetition.
 * The harness core caps raw throughput (backend + client share it), so the
 * figure that compares the doors is tokens per gateway-CPU-second.
 *
 * Output: Markdown on stdout and in bench/results/http-doors-<timestamp>.md, every
 * number in .json. Exit 2 when dist/ is missing, 3 when the harness failed.
 */
import { spawnSync } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createChannel, createClient, waitForChannelReady, type Channel } from "nice-grpc";
import { Agent, request } from "undici";
import { stringify } from "yaml";
import { ChatRequest, OllamaServiceDefinition, Role } from "../gen/ollama/v1/ollama.js";
import { unusedPort } from "../test/support/ports.js";
import { canPin, gate, killAllNow, snapshot, spawnPinned, stopAll, usage, type Proc, type Usage } from "./relay/processes.js";
import { HARNESS_CORE, startNodeChild, SUT_CORE, tail, waitForBackend } from "./relay/stack.js";
import { BENCH_MODEL, encodeSpec } from "./relay/wire.js";

const ROOT = new URL("..", import.meta.url).pathname;
const TARGETS = ["grpc", "ollama", "openai", "direct"] as const;
type Target = (typeof TARGETS)[number];
const GATEWAY_TARGETS: readonly Target[] = ["grpc", "ollama", "openai"];
/** Frames after the last token of a stream: the done message (gRPC, NDJSON); the finish chunk and [DONE] (SSE). */
const END_FRAMES: Record<Target, number> = { grpc: 1, ollama: 1, openai: 2, direct: 1 };
const LABEL: Record<Target, string> = {
  grpc: "gRPC Chat",
  ollama: "Ollama door /api/chat (NDJSON)",
  openai: "OpenAI door /v1/chat/completions (SSE)",
  direct: "direct to backend /api/chat",
};

const { values: opts } = parseArgs({
  options: {
    reps: { type: "string", default: "2" },
    "warmup-s": { type: "string", default: "1" },
    "window-s": { type: "string", default: "2.5" },
    tokens: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1,10,100" },
    targets: { type: "string", default: TARGETS.join(",") },
    "gateway-bin": { type: "string", default: join(ROOT, "bin/ollama-grpc.js") },
    out: { type: "string", default: join(ROOT, "bench/results") },
    keep: { type: "boolean", default: false },
  },
});
const REPS = positiveInt(opts.reps, "--reps");
const WARMUP_MS = Number(opts["warmup-s"]) * 1000;
const WINDOW_MS = Number(opts["window-s"]) * 1000;
const TOKENS = positiveInt(opts.tokens, "--tokens");
const CONCURRENCY = opts.concurrency.split(",").map((c) => positiveInt(c, "--concurrency"));
const SELECTED = opts.targets.split(",").map((t) => {
  if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`--targets: unknown target ${t} (one of ${TARGETS.join(", ")})`);
  return t as Target;
});
if (!(WARMUP_MS >= 0 && WINDOW_MS > 0)) throw new Error("--warmup-s must be >= 0 and --window-s > 0");

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer, got ${text}`);
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const PROMPT = encodeSpec({ tokens: TOKENS, rate: 0, firstMs: 0 });
const CHAT_BODY = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: "user", content: PROMPT }], stream: true });
const OPENAI_BODY = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: "user", content: PROMPT }], stream: true });
const GRPC_REQUEST = ChatRequest.encode(ChatRequest.fromPartial({ model: BENCH_MODEL, messages: [{ role: Role.ROLE_USER, content: PROMPT }] })).finish();

/** Chat with the request pre-encoded and the responses left as bytes (the client counts them, it does not decode them). */
const RawChatDefinition = {
  chat: {
    path: "/ollama.v1.OllamaService/Chat",
    requestStream: false as const,
    responseStream: true as const,
    requestSerialize: (value: Uint8Array): Uint8Array => value,
    requestDeserialize: (bytes: Uint8Array): Uint8Array => bytes,
    responseSerialize: (value: Uint8Array): Uint8Array => value,
    responseDeserialize: (bytes: Uint8Array): Uint8Array => bytes,
    options: {},
  },
};

interface Endpoints {
  readonly grpc: string;
  readonly http: string;
  readonly backend: string;
}

// ---------------------------------------------------------------------------------------------
// Counting clients

/** Shared by the streams of one measurement. */
interface LoadState {
  frames: number;
  completed: number;
  errors: number;
  lastError: string;
  /** Workers that have received a frame (the warm-up starts once every one has). */
  readonly flowing: Set<number>;
  readonly abort: AbortController;
}

/** NDJSON: one frame per newline. */
function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** SSE: one frame per "\n\n" (the blank line that ends an event), also across chunks (`carry`). */
function countSseEvents(chunk: Buffer, carry: { pendingNl: boolean }): number {
  let n = 0;
  let pending = carry.pendingNl;
  let prev = -1;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
    if (i === prev + 1 && pending) {
      n++;
      pending = false;
    } else {
      pending = true;
    }
    prev = i;
  }
  carry.pendingNl = pending && prev === chunk.length - 1;
  return n;
}

/** One HTTP stream: POST, count frames until the body ends. */
async function httpStream(target: Exclude<Target, "grpc">, ends: Endpoints, agent: Agent, state: LoadState, id: number): Promise<void> {
  const url = target === "direct" ? `${ends.backend}/api/chat` : target === "ollama" ? `${ends.http}/api/chat` : `${ends.http}/v1/chat/completions`;
  const res = await request(url, {
    dispatcher: agent,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: target === "openai" ? OPENAI_BODY : CHAT_BODY,
    signal: state.abort.signal,
  });
  if (res.statusCode !== 200) throw new Error(`${target}: HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
  const carry = { pendingNl: false };
  let frames = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    const n = target === "openai" ? countSseEvents(chunk, carry) : countNewlines(chunk);
    frames += n;
    state.frames += n;
    if (n > 0) state.flowing.add(id);
  }
  finishStream(target, frames, state);
}

/** One gRPC stream: count messages until the call ends. */
async function grpcStream(client: RawChatClient, state: LoadState, id: number): Promise<void> {
  let frames = 0;
  for await (const _message of client.chat(GRPC_REQUEST, { signal: state.abort.signal })) {
    frames++;
    state.frames++;
    if (frames === 1) state.flowing.add(id);
  }
  finishStream("grpc", frames, state);
}

/** A completed stream: its end frames were counted as tokens; take them back, and check the count. */
function finishStream(target: Target, frames: number, state: LoadState): void {
  state.frames -= END_FRAMES[target];
  state.completed++;
  if (frames !== TOKENS + END_FRAMES[target]) {
    state.errors++;
    state.lastError = `${target}: a stream ended after ${frames} frames, expected ${TOKENS + END_FRAMES[target]}`;
  }
}

type RawChatClient = ReturnType<typeof createClient<typeof RawChatDefinition>>;

// ---------------------------------------------------------------------------------------------
// Probes: one short stream per target, decoded in full, to check what the counters assume.

const PROBE_TOKENS = 50;

async function probe(target: Target, ends: Endpoints, channel: Channel): Promise<void> {
  const content = encodeSpec({ tokens: PROBE_TOKENS, rate: 0, firstMs: 0 });
  let tokens = 0;
  let endFrames = 0;
  if (target === "grpc") {
    const client = createClient(OllamaServiceDefinition, channel);
    for await (const m of client.chat({ model: BENCH_MODEL, messages: [{ role: Role.ROLE_USER, content }] }, { signal: AbortSignal.timeout(10_000) })) {
      if (m.done) endFrames++;
      else if ((m.message?.content ?? "") !== "") tokens++;
    }
  } else {
    const url = target === "direct" ? `${ends.backend}/api/chat` : target === "ollama" ? `${ends.http}/api/chat` : `${ends.http}/v1/chat/completions`;
    const res = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: BENCH_MODEL, messages: [{ role: "user", content }], stream: true }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${target} probe: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const frames = target === "openai" ? text.split("\n\n").filter((e) => e !== "") : text.split("\n").filter((l) => l !== "");
    for (const frame of frames) {
      if (target === "openai") {
        if (!frame.startsWith("data: ")) throw new Error(`openai probe: not an SSE data event: ${frame.slice(0, 100)}`);
        const data = frame.slice(6);
        if (data === "[DONE]") {
          endFrames++;
          continue;
        }
        const chunk = JSON.parse(data) as { choices: Array<{ delta?: { content?: string }; finish_reason: string | null }> };
        if (chunk.choices[0]?.finish_reason != null) endFrames++;
        else if ((chunk.choices[0]?.delta?.content ?? "") !== "") tokens++;
      } else {
        const line = JSON.parse(frame) as { done: boolean; message?: { content?: string } };
        if (line.done) endFrames++;
        else if ((line.message?.content ?? "") !== "") tokens++;
      }
    }
  }
  if (tokens !== PROBE_TOKENS || endFrames !== END_FRAMES[target]) {
    throw new Error(`${target} probe: ${tokens} token frames and ${endFrames} end frames, expected ${PROBE_TOKENS} and ${END_FRAMES[target]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One measurement

interface Row {
  readonly rep: number;
  readonly concurrency: number;
  readonly target: Target;
  readonly order: number;
  readonly windowS: number;
  readonly tokens: number;
  readonly tokensPerS: number;
  readonly completedStreams: number;
  readonly errors: number;
  readonly lastError: string;
  /** Gateway CPU seconds in the window (undefined for direct). */
  readonly gatewayCpuS: number | undefined;
  readonly tokensPerGatewayCpuS: number | undefined;
  readonly gatewayUsPerToken: number | undefined;
  readonly cpuPct: Record<string, number>;
  readonly coreBusyPct: number[];
  readonly foreignPct: number;
  readonly gateForeignPct: number;
}

async function measure(target: Target, concurrency: number, rep: number, order: number, ends: Endpoints, procs: readonly Proc[], gateway: Proc, windowMs = WINDOW_MS): Promise<Row> {
  const gated = await gate(procs, 10, 300, 2_000);
  const state: LoadState = { frames: 0, completed: 0, errors: 0, lastError: "", flowing: new Set(), abort: new AbortController() };
  setMaxListeners(0, state.abort.signal); // one listener per in-flight stream
  const agent = target === "grpc" ? undefined : new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const channel = target === "grpc" ? createChannel(ends.grpc) : undefined;
  const client = channel === undefined ? undefined : createClient(RawChatDefinition, channel);
  let stopped = false;
  const MAX_ERRORS = 20;
  const worker = async (id: number): Promise<void> => {
    while (!stopped && state.errors < MAX_ERRORS) {
      try {
        if (client !== undefined) await grpcStream(client, state, id);
        else await httpStream(target as Exclude<Target, "grpc">, ends, agent!, state, id);
      } catch (error) {
        if (stopped) return;
        state.errors++;
        state.lastError = error instanceof Error ? error.message : String(error);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, (_, id) => worker(id));
  try {
    // Every stream flows (bounded), then the warm-up, then the window.
    const flowDeadline = performance.now() + 15_000;
    while (state.flowing.size < concurrency && state.errors < MAX_ERRORS && performance.now() < flowDeadline) await sleep(5);
    if (state.flowing.size < concurrency) throw new Error(`${target} x${concurrency}: only ${state.flowing.size} streams had a first frame within 15 s (${state.frames} frames, ${state.completed} streams completed, ${state.errors} errors; ${state.lastError})`);
    await sleep(WARMUP_MS);
    const frames0 = state.frames;
    const completed0 = state.completed;
    const a = snapshot(procs);
    await sleep(windowMs);
    const b = snapshot(procs);
    const tokens = state.frames - frames0;
    const u: Usage = usage(a, b);
    if (state.errors > 0) throw new Error(`${target} x${concurrency}: ${state.errors} failed streams; last: ${state.lastError}`);
    const gatewayCpuS = GATEWAY_TARGETS.includes(target) ? ((u.cpuPct[gateway.name] ?? 0) / 100) * u.seconds : undefined;
    return {
      rep,
      concurrency,
      target,
      order,
      windowS: u.seconds,
      tokens,
      tokensPerS: tokens / u.seconds,
      completedStreams: state.completed - completed0,
      errors: state.errors,
      lastError: state.lastError,
      gatewayCpuS,
      tokensPerGatewayCpuS: gatewayCpuS === undefined || gatewayCpuS === 0 ? undefined : tokens / gatewayCpuS,
      gatewayUsPerToken: gatewayCpuS === undefined || tokens === 0 ? undefined : (gatewayCpuS * 1e6) / tokens,
      cpuPct: u.cpuPct,
      coreBusyPct: u.coreBusyPct,
      foreignPct: u.foreignPct,
      gateForeignPct: gated.foreignPct,
    };
  } finally {
    stopped = true;
    state.abort.abort();
    await Promise.race([Promise.allSettled(workers), sleep(10_000)]);
    channel?.close();
    await agent?.destroy().catch(() => undefined);
    // The next measurement starts from an idle backend (the gateway has let go of every upstream stream).
    if (!(await waitForBackend(ends.backend, (s) => s.active === 0, 10_000))) throw new Error(`${target} x${concurrency}: the backend still holds streams 10 s after the abort`);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_") && !key.startsWith("OLLAMA_GRPC_")));
}

async function startGateway(dir: string, backendUrl: string): Promise<{ proc: Proc; grpc: string; http: string; logFile: string }> {
  const grpcPort = await unusedPort();
  const httpPort = await unusedPort();
  const config = {
    listen: `127.0.0.1:${grpcPort}`,
    backends: [{ name: "bench", url: backendUrl, max_concurrency: 1_000 }],
    admin: { listen: "" },
    upstream: { connections: 1_000 },
    http: { listen: `127.0.0.1:${httpPort}` },
    log: { level: "warn" },
    // Stopped with streams open: abort them within the stop grace, so that it exits by itself (and writes a --cpu-prof).
    streams: { drain_timeout: "1s" },
  };
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, stringify(config));
  const logFile = join(dir, "gateway.log");
  const fd = openSync(logFile, "a");
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const proc = spawnPinned("gateway", process.execPath, [...nodeArgs, opts["gateway-bin"], "serve", "--config", file], { core: SUT_CORE, env: cleanEnv(), stdio: ["ignore", fd, fd] });
  return { proc, grpc: `127.0.0.1:${grpcPort}`, http: `http://127.0.0.1:${httpPort}`, logFile };
}

/** Retries every target's probe until it passes (a gateway that has just started and not yet seen the catalogue), at most 30 s. */
async function waitUntilServing(ends: Endpoints, gateway: Proc, logFile: string): Promise<void> {
  const channel = createChannel(ends.grpc);
  try {
    await waitForChannelReady(channel, new Date(Date.now() + 20_000));
    const deadline = performance.now() + 30_000;
    for (const target of SELECTED) {
      for (let attempt = 0; ; attempt++) {
        if (gateway.exited()) throw new Error(`gateway exited:\n${tail(logFile)}`);
        try {
          await probe(target, ends, channel);
          break;
        } catch (error) {
          if (performance.now() > deadline) throw new Error(`${target} not serving within 30 s: ${error instanceof Error ? error.message : String(error)}\n${tail(logFile)}`);
          await sleep(200);
        }
      }
    }
  } finally {
    channel.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtK = (n: number | undefined): string => (n === undefined ? "–" : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const fmt1 = (n: number | undefined): string => (n === undefined ? "–" : n.toFixed(1));
const fmt2 = (n: number | undefined): string => (n === undefined ? "–" : n.toFixed(2));
const pair = (rows: readonly Row[], f: (r: Row) => string): string => rows.map(f).join(" / ");

function report(rows: readonly Row[], meta: Record<string, unknown>): string {
  const out: string[] = [];
  out.push(`# HTTP doors benchmark, ${String(meta.startedAt)}`);
  out.push("");
  out.push(
    `Gateway ${String(meta.gitCommit)}${meta.gitDirty === true ? " (working tree modified)" : ""}, dist built ${String(meta.distBuilt)}; ` +
      `${TOKENS} tokens per answer, unpaced; ${WARMUP_MS / 1000} s warm-up + ${WINDOW_MS / 1000} s window; ${REPS} repetition(s), target order alternating. ` +
      `Pinned: ${canPin ? `gateway on core ${SUT_CORE}, backend + load generator on core ${HARNESS_CORE}` : "no (taskset not available)"}; ${String(meta.cpus)} CPUs; load average at start ${String(meta.loadavgStart)}.`,
  );
  out.push("");
  out.push("Each cell: one value per repetition (rep 1 / rep 2 ...). gw CPU % = the gateway's CPU in the window, in % of one core.");
  out.push("");
  out.push("| streams | target | tokens/s | gw CPU % | **tokens per gw-CPU-s** | gw µs CPU per token | gw CPU per token vs gRPC | streams completed | foreign CPU % |");
  out.push("|--:|---|--:|--:|--:|--:|--:|--:|--:|");
  for (const concurrency of CONCURRENCY) {
    for (const target of SELECTED) {
      const mine = rows.filter((r) => r.concurrency === concurrency && r.target === target).sort((x, y) => x.rep - y.rep);
      if (mine.length === 0) continue;
      const vsGrpc = mine.map((r) => {
        const g = rows.find((x) => x.concurrency === concurrency && x.rep === r.rep && x.target === "grpc");
        if (r.gatewayUsPerToken === undefined || g?.gatewayUsPerToken === undefined) return "–";
        const pct = (100 * (r.gatewayUsPerToken - g.gatewayUsPerToken)) / g.gatewayUsPerToken;
        return target === "grpc" ? "=" : `${pct >= 0 ? "+" : ""}${pct.toFixed(0)} %`;
      });
      out.push(
        `| ${concurrency} | ${LABEL[target]} | ${pair(mine, (r) => fmtK(r.tokensPerS))} | ${pair(mine, (r) => (r.gatewayCpuS === undefined ? "–" : fmt1((100 * r.gatewayCpuS) / r.windowS)))} | ` +
          `**${pair(mine, (r) => fmtK(r.tokensPerGatewayCpuS))}** | ${pair(mine, (r) => fmt2(r.gatewayUsPerToken))} | ${vsGrpc.join(" / ")} | ${pair(mine, (r) => String(r.completedStreams))} | ${pair(mine, (r) => fmt1(r.foreignPct))} |`,
      );
    }
  }
  out.push("");
  out.push(
    "tokens/s is capped by the harness core (backend + client on one core; `direct` shows that ceiling), so the doors are compared by " +
      "tokens per gateway-CPU-second. The clients count frames without decoding them; the probes checked one frame per token.",
  );
  return out.join("\n");
}

function gitInfo(): { commit: string; dirty: boolean } {
  const rev = spawnSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  const status = spawnSync("git", ["-C", ROOT, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" });
  return { commit: rev.status === 0 ? rev.stdout.trim() : "unknown", dirty: status.status === 0 && status.stdout.trim() !== "" };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const distEntry = join(ROOT, "dist/src/cli/main.js");
  if (!existsSync(join(ROOT, "dist"))) {
    console.error("dist/ is missing: run `make build` first");
    return 2;
  }
  // This process is the load generator: on the harness core, with the backend.
  if (canPin) spawnSync("taskset", ["-a", "-p", "-c", String(HARNESS_CORE), String(process.pid)], { stdio: "ignore" });
  const startedAt = new Date();
  const git = gitInfo();
  const meta: Record<string, unknown> = {
    startedAt: startedAt.toISOString(),
    gitCommit: git.commit,
    gitDirty: git.dirty,
    distBuilt: existsSync(distEntry) ? statSync(distEntry).mtime.toISOString() : "unknown",
    node: process.version,
    cpus: cpus().length,
    pinned: canPin,
    loadavgStart: loadavg().map((x) => x.toFixed(2)).join(" "),
    params: { reps: REPS, warmupS: WARMUP_MS / 1000, windowS: WINDOW_MS / 1000, tokens: TOKENS, concurrency: CONCURRENCY, targets: SELECTED },
    gatewayNodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS ?? "",
  };
  const dir = mkdtempSync(join(tmpdir(), "bench-http-doors-"));
  const rows: Row[] = [];
  let logFile = "";
  try {
    const backend = await startNodeChild("backend", "backend.ts", HARNESS_CORE, ["--listeners", "1"]);
    const backendUrl = `http://127.0.0.1:${backend.ports[0]!}`;
    const gw = await startGateway(dir, backendUrl);
    logFile = gw.logFile;
    const ends: Endpoints = { grpc: gw.grpc, http: gw.http, backend: backendUrl };
    await waitUntilServing(ends, gw.proc, gw.logFile);
    const procs = [gw.proc, backend.proc];
    // Priming, not reported: every gateway path runs once (JIT, pools, heap) before the first measurement.
    for (const target of SELECTED.filter((t) => t !== "direct")) await measure(target, 10, 0, 0, ends, procs, gw.proc, 500);
    const total = REPS * CONCURRENCY.length * SELECTED.length;
    for (let rep = 1; rep <= REPS; rep++) {
      const order = rep % 2 === 1 ? SELECTED : [...SELECTED].reverse();
      for (const concurrency of CONCURRENCY) {
        for (const [i, target] of order.entries()) {
          if (gw.proc.exited()) throw new Error(`gateway exited:\n${tail(gw.logFile)}`);
          const row = await measure(target, concurrency, rep, i, ends, procs, gw.proc);
          rows.push(row);
          console.error(
            `[${rows.length}/${total}] rep ${rep} x${concurrency} ${target}: ${fmtK(row.tokensPerS)} tok/s` +
              (row.gatewayCpuS === undefined ? "" : `, gateway ${fmt1((100 * row.gatewayCpuS) / row.windowS)} % CPU, ${fmtK(row.tokensPerGatewayCpuS)} tok per CPU-s`) +
              `, foreign ${fmt1(row.foreignPct)} %`,
          );
        }
      }
    }
    meta.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(" ");
    const markdown = report(rows, meta);
    process.stdout.write(`${markdown}\n`);
    mkdirSync(opts.out, { recursive: true });
    const stamp = startedAt.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
    const base = join(opts.out, `http-doors-${stamp}`);
    writeFileSync(`${base}.md`, `${markdown}\n`);
    writeFileSync(`${base}.json`, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
    console.error(`wrote ${base}.md and .json`);
    return 0;
  } catch (error) {
    console.error(`bench-http failed: ${error instanceof Error ? error.message : String(error)}`);
    if (logFile !== "") console.error(`gateway log (last lines):\n${tail(logFile)}`);
    return 3;
  } finally {
    await stopAll(5_000);
    if (opts.keep) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllNow();
    process.exit(130);
  });
}
process.exitCode = await main();
// Nothing of ours may keep the process alive (undici, gRPC): leave now that every child has stopped.
process.exit();
