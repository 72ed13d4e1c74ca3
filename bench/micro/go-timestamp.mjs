// Per-token formatting costs of the Ollama door: created_at (goTimestamp) and
// the Go-compatible JSON encoder. Run after `make build`:
//   node bench/micro/go-timestamp.mjs
import { goTimestamp } from "../../dist/src/ollama/go-timestamp.js";
import { encodeGoJson } from "../../dist/src/ollama/go-json.js";

const N = 2_000_000;
const base = Date.parse("2026-11-21T21:34:41.822Z");
const line = { model: "llama3.2", created_at: "2026-11-21T21:34:41.822Z", message: { role: "assistant", content: " near" }, done: false };
const plain = (epochMs) => {
  const iso = new Date(Math.floor(epochMs)).toISOString();
  const nanos = `${iso.slice(20, 23)}000000`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${nanos === "" ? "" : `.${nanos}`}Z`;
};
function bench(name, fn) {
  for (let i = 0; i < 200_000; i++) fn(i);
  const started = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < N; i++) sink += fn(i).length;
  console.log(`${name.padEnd(40)} ${(Number(process.hrtime.bigint() - started) / N).toFixed(1)} ns${sink > 0 ? "" : "!"}`);
}
bench("toISOString + regex (before)", (i) => plain(base + i * 7));
bench("goTimestamp, a new ms each token", (i) => goTimestamp(base + i * 7));
bench("JSON.stringify of a chat line", () => JSON.stringify(line));
bench("encodeGoJson of a chat line", () => encodeGoJson(line));
