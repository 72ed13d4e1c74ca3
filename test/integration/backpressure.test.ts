/**
 * A slow reader never makes the gateway buffer without bound: HTTP/2 flow
 * control stops the gateway's writes, the relay stops pulling, undici stops
 * reading the socket, and TCP back-pressures the backend. Measured end to
 * end with a backend that writes only when its socket accepts more and counts
 * what it managed to send while the caller reads nothing.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/harness.js";

/** Tokens offered by the backend: ~100 MB of NDJSON, far more than any buffer on the way. */
const TOKENS = 1_000_000;
const MODEL = "llama3.2:latest";

interface Backend {
  server: Server;
  url: string;
  /** Bytes of the stream written so far (accepted by the socket or Node's buffer up to its high-water mark). */
  written(): number;
  /** Whether the stream's socket was closed before the stream ended. */
  closedEarly(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  let written = 0;
  let onClose: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => (onClose = resolve));
  const server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/api/version") return json({ version: "0.6.0" });
    if (req.url === "/api/tags") return json({ models: [{ name: MODEL, model: MODEL, size: 1, digest: "d", details: {} }] });
    if (req.url === "/api/ps") return json({ models: [] });
    req.resume();
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    res.on("close", () => onClose?.());
    const created = new Date().toISOString();
    let sent = 0;
    // Writes while the socket takes them; waits for 'drain' otherwise (what a well-behaved server does).
    const pump = (): void => {
      while (sent < TOKENS && !res.destroyed) {
        const line = `{"model":"${MODEL}","created_at":"${created}","response":"token ${sent} ","done":false}\n`;
        sent += 1;
        written += line.length;
        if (!res.write(line)) {
          res.once("drain", pump);
          return;
        }
      }
      if (!res.destroyed) res.end(`{"model":"${MODEL}","created_at":"${created}","response":"","done":true,"done_reason":"stop","eval_count":${TOKENS}}\n`);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, written: () => written, closedEarly: () => closed };
}

let backend: Backend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startBackend();
  gateway = await startTestGateway([backend.url]);
});
afterAll(async () => {
  await gateway.close();
  await new Promise((resolve) => backend.server.close(resolve));
});

it("a caller that stops reading stops the backend within a bounded number of bytes; cancelling closes the upstream", async () => {
  const stop = new AbortController();
  const stream = gateway.client.generate({ model: "llama3.2", prompt: "p" }, { signal: stop.signal })[Symbol.asyncIterator]();
  expect((await stream.next()).done).toBe(false); // streaming; now the caller reads nothing more

  // Wait (bounded) until the backend's byte count stops moving: every buffer on the path is full.
  let last = -1;
  let stableFor = 0;
  for (let i = 0; i < 100 && stableFor < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = backend.written();
    stableFor = now === last ? stableFor + 1 : 0;
    last = now;
  }
  expect(stableFor, "the backend kept writing: nothing back-pressured it").toBe(3);
  const totalBytes = TOKENS * 70;
  // Kernel socket buffers (loopback autotuning reaches a few MB), undici's and grpc-js's queues and
  // the HTTP/2 window all together stay far below the stream's size.
  expect(last).toBeLessThan(16 * 1024 * 1024);
  expect(last).toBeLessThan(totalBytes / 4);

  stop.abort();
  await backend.closedEarly();
});
