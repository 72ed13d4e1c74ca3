// Reading an NDJSON HTTP response: undici `request` + `for await` over the body vs `dispatch` with a handler object.
// CPU per line includes the in-process server. Run: node bench/micro/undici-body.mjs
import { createServer } from "node:http";
import { Pool } from "undici";
const LINE = Buffer.from('{"model":"llama3.2","created_at":"2026-11-21T18:00:00.123456789Z","response":" token","done":false}\n');
const N = 20000;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  let i = 0;
  const pump = () => { while (i < N) { i++; if (!res.write(LINE)) { res.once("drain", pump); return; } } res.end(); };
  pump();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}`;
const pool = new Pool(url, { connections: 64 });
async function viaRequest() {
  const { body } = await pool.request({ method: "POST", path: "/", body: "{}" });
  let n = 0; for await (const chunk of body) n += chunk.length; return n;
}
function viaDispatch() {
  return new Promise((resolve, reject) => {
    let n = 0;
    pool.dispatch({ method: "POST", path: "/", body: "{}" }, {
      onConnect() {}, onHeaders() { return true; }, onData(chunk) { n += chunk.length; return true; },
      onComplete() { resolve(n); }, onError: reject,
    });
  });
}
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
for (let round = 0; round < 3; round++) {
  for (const [name, fn] of [["request+for-await", viaRequest], ["dispatch", viaDispatch]]) {
    const c0 = cpu(); const t0 = performance.now();
    await Promise.all(Array.from({ length: 20 }, fn));
    const ms = performance.now() - t0; const c = cpu() - c0;
    console.log(name.padEnd(20), "wall", ms.toFixed(0), "ms  cpu", c.toFixed(0), "ms (incl. server)  per line cpu", ((c * 1000) / (20 * N)).toFixed(2), "us");
  }
}
await pool.close(); server.close();
