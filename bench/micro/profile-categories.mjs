// Groups a gateway .cpuprofile (node --cpu-prof) by where the code lives; shares of busy samples.
// Run: node bench/micro/profile-categories.mjs FILE.cpuprofile
import { readFileSync } from "node:fs";
const prof = JSON.parse(readFileSync(process.argv[2], "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const cat = (cf) => {
  const u = cf.url, f = cf.functionName;
  if (f === "(idle)") return "idle";
  if (f === "(garbage collector)") return "GC";
  if (/dist\/src\/middleware|nice-grpc\/lib\/server|nice-grpc-error-details|abort-controller-x|nice-grpc-common/.test(u)) return "nice-grpc server + middleware chain";
  if (/dist\/src\/service|dist\/src\/upstream|dist\/src\/common|dist\/src\/observability/.test(u)) return "gateway service (relay, attempts, mapping)";
  if (/dist\/src\/ollama/.test(u)) return "Ollama NDJSON decode (JSON.parse)";
  if (/undici/.test(u) || /^wasm/.test(u)) return "undici (HTTP/1.1 client)";
  if (/@bufbuild|dist\/gen/.test(u)) return "protobuf encode (ts-proto)";
  if (/@grpc\/grpc-js/.test(u)) return "grpc-js";
  if (/node:internal\/http2|node:http2|writeBuffer|writev|onWriteComplete|stream_base/.test(u + f)) return "HTTP/2 + socket writes (node core)";
  if (/node:internal\/streams|node:stream/.test(u)) return "Node streams (undici body, http2 streams)";
  if (f === "(program)") return "(program: native, unattributed)";
  if (/runMicrotasks|processTicksAndRejections|task_queues/.test(u + f)) return "promise / microtask machinery";
  if (/^node:/.test(u) || u === "") return "other node core / native";
  return "other";
};
const agg = new Map(); let total = 0, busy = 0;
for (const [id, t] of self) { const c = cat(byId.get(id).callFrame); agg.set(c, (agg.get(c) ?? 0) + t); total += t; if (c !== "idle") busy += t; }
for (const [c, t] of [...agg].sort((a, b) => b[1] - a[1])) if (c !== "idle") console.log(`${(100 * t / busy).toFixed(1).padStart(5)}%  ${c}`);
console.log(`(idle ${(100 * (agg.get("idle") ?? 0) / total).toFixed(1)}% of wall time excluded)`);
