// Cost of one more async-generator `yield*` layer per item (the middleware chain and relay are such layers).
// Run: node bench/micro/generator-layers.mjs
async function* source(n) { for (let i = 0; i < n; i++) yield i; }
function wrap(inner) { return (async function* layer() { try { return yield* inner; } finally { } })(); }
for (const layers of [0, 1, 3, 6]) {
  const N = 300000;
  let it = source(N);
  for (let l = 0; l < layers; l++) it = wrap(it);
  const t = process.hrtime.bigint();
  let x = 0;
  for await (const v of it) x += v;
  console.log(layers, "layers:", (Number(process.hrtime.bigint() - t) / N).toFixed(0), "ns/item");
}
