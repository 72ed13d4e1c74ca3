/**
 * The relay benchmark's Ollama backend: a lean Node http server that streams
 * Ollama-shaped NDJSON as the prompt asks (wire.ts `encodeSpec`), one
 * `res.write` per line (each line is one HTTP chunk, as Ollama's Go server
 * flushes per token), response headers with the first token, every token
 * line stamped with its send time, a valid final `done` line. It answers
 * GET /api/version, /api/tags and /api/ps so the gateway's health checks and
 * catalogue see the model resident. The project's simulator (src/sim) is the
 * faithful one; this one is cheap enough to share a core with the load
 * generator and still saturate a gateway.
 *
 *   node --import tsx bench/relay/backend.ts [--listeners 8] [--ttl-s 3600]
 *
 * It listens on `--listeners` ports (each one endpoint of the gateway's fleet)
 * because Node accepts about one connection per listening socket per
 * event-loop turn: with one port and the loop busy streaming, 1000 new
 * connections took seconds to be accepted (measured), with 8 they do not.
 * Prints `{"ports":[...]}` on stdout once listening. GET /bench/stats returns its
 * counters (the idle scenario waits on `active`). Exits when its parent's IPC
 * channel closes, or after --ttl-s.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { BENCH_MODEL, decodeSpec, monotonicUs, type StreamSpec } from "./wire.js";

const { values } = parseArgs({ options: { listeners: { type: "string", default: "8" }, "ttl-s": { type: "string", default: "3600" } } });
selfDestruct(Number(values["ttl-s"]));

/**
 * Unpaced streams share one pump: each turn it writes up to BURST lines per
 * stream, round robin, for at most TURN_MS, then yields to the event loop
 * (setImmediate). A socket that is full leaves the pump until 'drain'. With a
 * per-stream setImmediate and 64 lines each, a turn took ~100 ms at 1000
 * streams and the listening socket's queue drained at ~30 connections/s.
 */
const BURST = 64;
const TURN_MS = 2;
type Pumped = "more" | "blocked" | "done";
const ready: Array<() => Pumped> = [];
let pumping = false;

function schedule(writer: () => Pumped): void {
  ready.push(writer);
  if (!pumping) {
    pumping = true;
    setImmediate(pump);
  }
}

function pump(): void {
  const until = performance.now() + TURN_MS;
  let n = ready.length;
  while (n-- > 0 && performance.now() < until) {
    const writer = ready.shift()!;
    if (writer() === "more") ready.push(writer);
  }
  if (ready.length > 0) setImmediate(pump);
  else pumping = false;
}

const stats = { started: 0, active: 0, completed: 0, aborted: 0, tokens: 0 };

const DETAILS = { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "1B", quantization_level: "Q4_0" };
const DIGEST = "b".repeat(64);
const TAGS = JSON.stringify({ models: [{ name: BENCH_MODEL, model: BENCH_MODEL, modified_at: "2026-01-01T00:00:00Z", size: 1_000_000, digest: DIGEST, details: DETAILS }] });
const PS = JSON.stringify({
  models: [{ name: BENCH_MODEL, model: BENCH_MODEL, size: 1_000_000, digest: DIGEST, details: DETAILS, expires_at: "2099-01-01T00:00:00Z", size_vram: 1_000_000, context_length: 4096 }],
});

// created_at as Ollama writes it (RFC 3339, UTC); recomputed at most once per millisecond.
let isoMs = 0;
let isoText = "";
function createdAt(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "POST" && (path === "/api/generate" || path === "/api/chat")) {
    readBody(req, (body) => stream(path === "/api/chat", body, req, res));
    return;
  }
  req.resume();
  if (path === "/api/version") return json(res, '{"version":"0.12.6"}');
  if (path === "/api/tags") return json(res, TAGS);
  if (path === "/api/ps") return json(res, PS);
  if (path === "/bench/stats") return json(res, JSON.stringify(stats));
  if (path === "/") return void res.writeHead(200, { "content-type": "text/plain" }).end("Ollama is running");
  res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
}

const ports = await Promise.all(
  Array.from({ length: Math.max(1, Number(values.listeners)) }, async () => {
    const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 }, handle);
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, resolve));
    return (server.address() as AddressInfo).port;
  }),
);
process.stdout.write(`${JSON.stringify({ ports })}\n`);

function json(res: ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) }).end(body);
}

function readBody(req: IncomingMessage, then: (body: Record<string, unknown>) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    try {
      then(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
    } catch {
      // A malformed body is a harness bug; answer as Ollama would.
    }
  });
}

function promptOf(chat: boolean, body: Record<string, unknown>): string {
  if (!chat) return typeof body.prompt === "string" ? body.prompt : "";
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  const last = messages[messages.length - 1];
  return typeof last?.content === "string" ? last.content : "";
}

/** Streams one answer: `spec.tokens` stamped token lines, then the done line. */
function stream(chat: boolean, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): void {
  const spec: StreamSpec = decodeSpec(promptOf(chat, body));
  const model = typeof body.model === "string" ? body.model : BENCH_MODEL;
  const head = `{"model":${JSON.stringify(model)},"created_at":"`;
  const open = chat ? '","message":{"role":"assistant","content":"' : '","response":"';
  const close = chat ? '"},"done":false}\n' : '","done":false}\n';
  const startedNs = process.hrtime.bigint();
  let sent = 0;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  stats.started++;
  stats.active++;

  const end = (aborted: boolean): void => {
    if (finished) return;
    finished = true;
    stats.active--;
    if (aborted) stats.aborted++;
    else stats.completed++;
    if (timer !== undefined) clearTimeout(timer);
  };
  res.on("close", () => end(!res.writableFinished));
  req.on("error", () => end(true));

  const line = (): boolean => {
    sent++;
    stats.tokens++;
    return res.write(head + createdAt() + open + monotonicUs() + close);
  };
  const done = (): void => {
    const totalNs = Number(process.hrtime.bigint() - startedNs);
    const final = chat
      ? { model, created_at: createdAt(), message: { role: "assistant", content: "" }, done: true, done_reason: "stop" }
      : { model, created_at: createdAt(), response: "", done: true, done_reason: "stop", context: [1, 2, 3] };
    res.end(`${JSON.stringify({ ...final, total_duration: totalNs, load_duration: 1000, prompt_eval_count: 8, prompt_eval_duration: 1000, eval_count: sent, eval_duration: totalNs })}\n`);
    end(false);
  };
  const begin = (): void => {
    timer = undefined;
    if (finished) return;
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    if (spec.rate > 0) paced();
    else schedule(burst);
  };
  // Unpaced: BURST lines per pump turn; out of the pump while the socket is full.
  const burst = (): Pumped => {
    if (finished) return "done";
    for (let i = 0; i < BURST; i++) {
      if (sent >= spec.tokens) {
        done();
        return "done";
      }
      if (!line()) {
        res.once("drain", () => {
          if (!finished) schedule(burst);
        });
        return "blocked";
      }
    }
    return "more";
  };
  // Paced: token k (from 0) is due at first + k / rate, deadline-corrected, so a late timer does not slow the stream down.
  const t0 = performance.now() + spec.firstMs;
  const paced = (): void => {
    timer = undefined;
    if (finished) return;
    const now = performance.now();
    while (sent < spec.tokens && t0 + (sent * 1000) / spec.rate <= now + 0.5) line();
    if (sent >= spec.tokens) return done();
    timer = setTimeout(paced, Math.max(0, t0 + (sent * 1000) / spec.rate - performance.now()));
  };
  if (spec.firstMs > 0) timer = setTimeout(begin, spec.firstMs);
  else begin();
}

function selfDestruct(ttlSeconds: number): void {
  setTimeout(() => process.exit(0), ttlSeconds * 1000).unref();
  process.on("disconnect", () => process.exit(0));
}
