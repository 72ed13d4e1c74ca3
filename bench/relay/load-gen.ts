/**
 * The relay benchmark's load generator, a long-lived child of main.ts that
 * runs one command at a time (protocol.ts) and replies over IPC. The same
 * process drives every path, so each comparison uses the same client code:
 *
 * - gRPC paths (gateway, full-stack gateway, ceiling server): grpc-js
 *   `makeServerStreamRequest` with identity (de)serializers, so messages are
 *   counted without being decoded (saturation, TTFT), or read only for the
 *   send stamp (open loop); one HTTP/2 connection per 100 streams.
 * - HTTP paths (direct to the backend, nginx): undici `Pool.request`, one
 *   keep-alive connection per stream, lines counted (saturation) or split and
 *   read for the send stamp (open loop).
 *
 * Every stream it opens is cancelled when its command ends. Exits when its
 * parent's IPC channel closes, or after --ttl-s.
 */
import * as grpc from "@grpc/grpc-js";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { GenerateRequest } from "../../gen/ollama/v1/ollama.js";
import type { Command, IdleOpenResult, LoadTarget, OpenLoopResult, Reply, SaturateResult, TtftResult, WindowEvent } from "./protocol.js";
import { latencySummary, SampleBuffer } from "./stats.js";
import { BENCH_MODEL, countNewlines, encodeSpec, GENERATE_PATH, LineSplitter, monotonicUs, stampOfLine, stampOfMessage, type StreamSpec } from "./wire.js";

const { values } = parseArgs({ options: { "ttl-s": { type: "string", default: "3600" } } });
setTimeout(() => process.exit(0), Number(values["ttl-s"]) * 1000).unref();
process.on("disconnect", () => process.exit(0));

/** Streams per HTTP/2 connection on the gRPC paths. */
const STREAMS_PER_CONNECTION = 100;
const UNLIMITED = 1_000_000_000;
/** Longest wait for every saturation stream to deliver its first token. */
const SETUP_LIMIT_MS = 30_000;

/** Receives one stream's data. `item` gets each gRPC message or NDJSON line; `raw` (HTTP only) each body chunk, unsplit. */
interface Sink {
  item?: (bytes: Buffer, receivedUs: number) => void;
  raw?: (chunk: Buffer) => void;
  /** Called once: `error` undefined when the stream completed normally. */
  end: (error: string | undefined) => void;
}

interface StreamHandle {
  cancel(): void;
}

// ---------------------------------------------------------------- gRPC

const identity = (b: Buffer): Buffer => b;
const grpcClients = new Map<string, grpc.Client[]>();
const requestBytes = new Map<string, Buffer>();

function grpcClient(address: string, slot: number, connections: number): grpc.Client {
  let clients = grpcClients.get(address);
  if (clients === undefined) grpcClients.set(address, (clients = []));
  while (clients.length < connections) {
    clients.push(new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1, "grpc.max_receive_message_length": -1 }));
  }
  return clients[slot % connections]!;
}

async function connectGrpc(address: string, connections: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  await Promise.all(
    Array.from({ length: connections }, (_, i) => {
      const client = grpcClient(address, i, connections);
      return new Promise<void>((resolve, reject) => client.waitForReady(deadline, (error) => (error ? reject(error) : resolve())));
    }),
  );
}

function encodedRequest(spec: StreamSpec): Buffer {
  const prompt = encodeSpec(spec);
  let bytes = requestBytes.get(prompt);
  if (bytes === undefined) requestBytes.set(prompt, (bytes = Buffer.from(GenerateRequest.encode(GenerateRequest.fromPartial({ model: BENCH_MODEL, prompt })).finish())));
  return bytes;
}

function openGrpc(target: Extract<LoadTarget, { kind: "grpc" }>, spec: StreamSpec, slot: number, connections: number, sink: Sink): StreamHandle {
  const metadata = new grpc.Metadata();
  if (target.apiKey !== undefined) metadata.set("authorization", `Bearer ${target.apiKey}`);
  const call = grpcClient(target.address, slot, connections).makeServerStreamRequest(GENERATE_PATH, identity, identity, encodedRequest(spec), metadata, {});
  let ended = false;
  const end = (error: string | undefined): void => {
    if (ended) return;
    ended = true;
    sink.end(error);
  };
  const item = sink.item;
  if (item !== undefined) call.on("data", (message: Buffer) => item(message, monotonicUs()));
  else call.on("data", () => undefined);
  call.on("error", (error: grpc.ServiceError) => end(`gRPC ${grpc.status[error.code] ?? error.code}: ${error.details}`));
  call.on("status", (status: grpc.StatusObject) => end(status.code === grpc.status.OK ? undefined : `gRPC ${grpc.status[status.code]}: ${status.details}`));
  return {
    cancel() {
      ended = true;
      call.cancel();
    },
  };
}

// ---------------------------------------------------------------- HTTP

/**
 * undici pools, one per origin, fresh for each command: a pool that has had
 * its streams aborted took up to 20 s to open 1000 new connections (measured),
 * so no command inherits another's connections.
 */
const pools = new Map<string, Pool>();

function resetPools(): void {
  for (const p of pools.values()) void p.destroy().catch(() => undefined);
  pools.clear();
}

function pool(origin: string): Pool {
  let p = pools.get(origin);
  if (p === undefined) {
    p = new Pool(origin, { connections: null, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000, headersTimeout: 0, bodyTimeout: 0 });
    pools.set(origin, p);
  }
  return p;
}

function openHttp(target: Extract<LoadTarget, { kind: "http" }>, spec: StreamSpec, slot: number, sink: Sink): StreamHandle {
  const controller = new AbortController();
  let ended = false;
  const end = (error: string | undefined): void => {
    if (ended) return;
    ended = true;
    sink.end(error);
  };
  pool(target.origins[slot % target.origins.length]!)
    .request({
      path: "/api/generate",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: BENCH_MODEL, prompt: encodeSpec(spec), stream: true }),
      signal: controller.signal,
    })
    .then(
      ({ statusCode, body }) => {
        if (statusCode !== 200) {
          body.resume();
          return end(`HTTP ${statusCode}`);
        }
        const { item, raw } = sink;
        if (item !== undefined) {
          let receivedUs = 0;
          const splitter = new LineSplitter((line) => item(line, receivedUs));
          body.on("data", (chunk: Buffer) => {
            receivedUs = monotonicUs();
            splitter.push(chunk);
          });
        } else if (raw !== undefined) body.on("data", raw);
        else body.resume();
        body.on("end", () => end(undefined));
        body.on("error", (error: Error) => end(`HTTP body: ${error.message}`));
      },
      (error: Error) => end(`HTTP: ${error.message}`),
    );
  return {
    cancel() {
      ended = true;
      controller.abort();
    },
  };
}

// ---------------------------------------------------------------- common

function open(target: LoadTarget, spec: StreamSpec, slot: number, concurrent: number, sink: Sink): StreamHandle {
  if (target.kind === "grpc") return openGrpc(target, spec, slot, Math.ceil(concurrent / STREAMS_PER_CONNECTION), sink);
  return openHttp(target, spec, slot, sink);
}

async function prepare(target: LoadTarget, concurrent: number): Promise<void> {
  if (target.kind === "grpc") await connectGrpc(target.address, Math.ceil(concurrent / STREAMS_PER_CONNECTION));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function windowEdge(id: number, edge: "start" | "end"): void {
  const event: WindowEvent = { event: "window", id, edge };
  process.send?.(event);
}

/** One stream to its end: TTFT (ms, from the call to the first token) or the error. */
function oneRequest(target: LoadTarget, spec: StreamSpec, slot: number, concurrent: number): Promise<{ ttftMs?: number; error?: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let ttftMs: number | undefined;
    const first = (): void => {
      if (ttftMs === undefined) ttftMs = performance.now() - started;
    };
    const sink: Sink =
      target.kind === "grpc"
        ? { item: first, end: (error) => resolve(error === undefined && ttftMs !== undefined ? { ttftMs } : { error: error ?? "no token" }) }
        : {
            raw: (chunk) => {
              if (ttftMs === undefined && chunk.indexOf(10) >= 0) first();
            },
            end: (error) => resolve(error === undefined && ttftMs !== undefined ? { ttftMs } : { error: error ?? "no token" }),
          };
    open(target, spec, slot, concurrent, sink);
  });
}

// ---------------------------------------------------------------- commands

async function probe(cmd: Extract<Command, { op: "probe" }>): Promise<{ items: number }> {
  await prepare(cmd.target, 1);
  let items = 0;
  const error = await new Promise<string | undefined>((resolve) => {
    const sink: Sink = cmd.target.kind === "grpc" ? { item: () => items++, end: resolve } : { raw: (c) => (items += countNewlines(c)), end: resolve };
    open(cmd.target, cmd.spec, 0, 1, sink);
  });
  if (error !== undefined) throw new Error(error);
  if (items !== cmd.spec.tokens + 1) throw new Error(`expected ${cmd.spec.tokens + 1} messages, got ${items}`);
  return { items };
}

async function saturate(id: number, cmd: Extract<Command, { op: "saturate" }>): Promise<SaturateResult> {
  await prepare(cmd.target, cmd.streams);
  const spec: StreamSpec = { tokens: UNLIMITED, rate: 0, firstMs: 0 };
  let counting = false;
  let open_ = true;
  let tokens = 0;
  let errors = 0;
  const sink = (): Sink =>
    cmd.target.kind === "grpc"
      ? { item: () => void (counting && tokens++), end: () => void (open_ && errors++) }
      : { raw: (chunk) => void (counting && (tokens += countNewlines(chunk))), end: () => void (open_ && errors++) };
  // Warm-up starts once every stream has delivered its first token (stream setup is not what this measures), at most after SETUP_LIMIT_MS.
  let flowing = 0;
  const handles = Array.from({ length: cmd.streams }, (_, i) => {
    const s = sink();
    let first = true;
    const firstToken = (): void => {
      if (first) {
        first = false;
        flowing++;
      }
    };
    const counted = s.item === undefined ? s : { ...s, item: (b: Buffer, us: number) => (firstToken(), s.item!(b, us)) };
    return open(cmd.target, spec, i, cmd.streams, s.raw === undefined ? counted : { ...s, raw: (c: Buffer) => (firstToken(), s.raw!(c)) });
  });
  const setupStart = performance.now();
  while (flowing < cmd.streams && performance.now() - setupStart < SETUP_LIMIT_MS) await sleep(10);
  const setupMs = performance.now() - setupStart;
  const flowingAtWarmup = flowing;
  const windowMs = await timedWindow(id, cmd.warmMs, cmd.windowMs, (on) => (counting = on));
  open_ = false;
  for (const h of handles) h.cancel();
  return { tokens, windowMs, errors, setupMs, flowingAtWarmup };
}

async function ttft(id: number, cmd: Extract<Command, { op: "ttft" }>): Promise<TtftResult> {
  await prepare(cmd.target, cmd.concurrency);
  const total = cmd.warmup + cmd.requests;
  const ttftMs: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  let t0 = performance.now();
  const worker = async (slot: number): Promise<void> => {
    while (issued < total) {
      const k = issued++;
      if (k === cmd.warmup) {
        windowEdge(id, "start");
        t0 = performance.now();
      }
      const r = await oneRequest(cmd.target, cmd.spec, slot, cmd.concurrency);
      if (k < cmd.warmup) continue;
      if (r.ttftMs !== undefined) ttftMs.push(r.ttftMs);
      else {
        errors++;
        firstError ??= r.error;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, (_, slot) => worker(slot)));
  const windowMs = performance.now() - t0;
  windowEdge(id, "end");
  return { ttftMs, errors, ...(firstError !== undefined && { firstError }), windowMs };
}

/**
 * Concurrency 1 on several paths at once, phase-shifted: path v sends request
 * k at t0 + k * period + v * period / paths (or as soon as its previous request
 * has ended), so each path has one request in flight and the paths' active
 * moments (request start, first token + end) never coincide.
 */
async function ttftStaggered(id: number, cmd: Extract<Command, { op: "ttftStaggered" }>): Promise<TtftResult[]> {
  for (const target of cmd.targets) await prepare(target, 1);
  const total = cmd.warmup + cmd.requests;
  const start = performance.now() + 20;
  const windowStart = start + cmd.warmup * cmd.periodMs;
  setTimeout(() => windowEdge(id, "start"), windowStart - performance.now());
  const results = await Promise.all(
    cmd.targets.map(async (target, v) => {
      const ttftMs: number[] = [];
      let errors = 0;
      let firstError: string | undefined;
      for (let k = 0; k < total; k++) {
        await sleep(start + k * cmd.periodMs + (v * cmd.periodMs) / cmd.targets.length - performance.now());
        const r = await oneRequest(target, cmd.spec, 0, 1);
        if (k < cmd.warmup) continue;
        if (r.ttftMs !== undefined) ttftMs.push(r.ttftMs);
        else {
          errors++;
          firstError ??= r.error;
        }
      }
      return { ttftMs, errors, ...(firstError !== undefined && { firstError }) };
    }),
  );
  const windowMs = performance.now() - windowStart;
  windowEdge(id, "end");
  return results.map((r) => ({ ...r, windowMs }));
}

async function openLoop(id: number, cmd: Extract<Command, { op: "openLoop" }>): Promise<OpenLoopResult> {
  await prepare(cmd.target, cmd.streams);
  const lifetimeS = (cmd.rampMs + cmd.warmMs + cmd.windowMs) / 1000 + 10;
  const spec: StreamSpec = { tokens: Math.ceil(cmd.rate * lifetimeS), rate: cmd.rate, firstMs: 0 };
  const samples = new SampleBuffer(Math.ceil(cmd.streams * cmd.rate * (cmd.windowMs / 1000) * 1.1) + 1024);
  let counting = false;
  let open_ = true;
  let tokens = 0;
  let unstamped = 0;
  let errors = 0;
  let firstError: string | undefined;
  const grpcKind = cmd.target.kind === "grpc";
  let flowing = 0;
  const item = (bytes: Buffer, receivedUs: number): void => {
    if (!counting) return;
    const stamp = grpcKind ? stampOfMessage(bytes).stamp : stampOfLine(bytes);
    tokens++;
    if (stamp === undefined) unstamped++;
    else samples.push((receivedUs - stamp) / 1000);
  };
  const end = (error: string | undefined): void => {
    if (!open_) return;
    errors++;
    firstError ??= error ?? "stream ended before the window closed";
  };
  // Streams open evenly over the ramp, from one 1 ms ticker rather than one timer each.
  const handles: StreamHandle[] = [];
  const sink = (): Sink => {
    let first = true;
    return {
      item: (bytes, receivedUs) => {
        if (first) {
          first = false;
          flowing++;
        }
        item(bytes, receivedUs);
      },
      end,
    };
  };
  const rampStart = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = cmd.rampMs <= 0 ? cmd.streams : Math.min(cmd.streams, Math.floor(((performance.now() - rampStart) / cmd.rampMs) * cmd.streams) + 1);
      while (handles.length < due) handles.push(open(cmd.target, spec, handles.length, cmd.streams, sink()));
      if (handles.length >= cmd.streams) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // Then every stream flowing (stream setup is the TTFT scenarios' business), at most SETUP_LIMIT_MS, then the warm-up.
  await sleep(rampStart + cmd.rampMs - performance.now());
  while (flowing < cmd.streams && performance.now() - rampStart < SETUP_LIMIT_MS) await sleep(10);
  const setupMs = performance.now() - rampStart;
  const flowingAtWarmup = flowing;
  const windowMs = await timedWindow(id, cmd.warmMs, cmd.windowMs, (on) => (counting = on));
  open_ = false;
  for (const h of handles) h.cancel();
  return {
    offeredPerSecond: cmd.streams * cmd.rate,
    tokens,
    windowMs,
    latency: latencySummary(samples.sorted()),
    errors,
    ...(firstError !== undefined && { firstError }),
    unstamped,
    setupMs,
    flowingAtWarmup,
  };
}

let idle: { handles: StreamHandle[]; closing: boolean; errors: number } | undefined;

async function idleOpen(cmd: Extract<Command, { op: "idleOpen" }>): Promise<IdleOpenResult> {
  if (idle !== undefined) throw new Error("idle streams already open");
  await prepare(cmd.target, cmd.streams);
  const state = { handles: [] as StreamHandle[], closing: false, errors: 0 };
  idle = state;
  const spec: StreamSpec = { tokens: 1, rate: 0, firstMs: 600_000 };
  const started = performance.now();
  const end = (): void => {
    if (!state.closing) state.errors++;
  };
  // In batches, yielding in between, so that the first streams' setup is not starved.
  while (state.handles.length < cmd.streams) {
    const batchEnd = Math.min(cmd.streams, state.handles.length + 500);
    while (state.handles.length < batchEnd) state.handles.push(open(cmd.target, spec, state.handles.length, cmd.streams, { raw: () => undefined, end }));
    await sleep(5);
  }
  return { openedMs: performance.now() - started, errors: state.errors };
}

async function idleClose(): Promise<{ errors: number }> {
  const state = idle;
  idle = undefined;
  if (state === undefined) return { errors: 0 };
  state.closing = true;
  for (const h of state.handles) h.cancel();
  resetPools();
  return { errors: state.errors };
}

async function run(id: number, cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case "probe":
      return probe(cmd);
    case "saturate":
      return saturate(id, cmd);
    case "ttft":
      return ttft(id, cmd);
    case "ttftStaggered":
      return ttftStaggered(id, cmd);
    case "openLoop":
      return openLoop(id, cmd);
    case "idleOpen":
      return idleOpen(cmd);
    case "idleClose":
      return idleClose();
  }
}

process.on("message", (message: { id: number; command: Command }) => {
  if (message.command.op !== "idleClose") resetPools();
  run(message.id, message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies Reply),
    (error: unknown) => process.send?.({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
  );
});
process.send?.({ event: "ready" });

/** The warm-up, then the timed window with counting on (its edges reported to the orchestrator); resolves with the window's length in ms. */
async function timedWindow(id: number, warmMs: number, windowMs: number, count: (on: boolean) => void): Promise<number> {
  await sleep(warmMs);
  windowEdge(id, "start");
  count(true);
  const startedAt = performance.now();
  await sleep(windowMs);
  count(false);
  const length = performance.now() - startedAt;
  windowEdge(id, "end");
  return length;
}
