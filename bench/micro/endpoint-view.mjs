// An endpoint snapshot built with an object spread vs with every field written out (src/upstream/pool.ts view()).
// Run: node bench/micro/endpoint-view.mjs
const config = { name: "b1", url: "http://127.0.0.1:1", weight: 1, priority: 0, locality: "", labels: {}, maxConcurrency: 10000 };
const state = { config, inFlight: 3, health: "healthy", ejected: false, draining: false, models: new Set(["a"]), loaded: new Set() };
const spread = (s) => ({ ...s.config, inFlight: s.inFlight, health: s.health, ejected: s.ejected, draining: s.draining, models: s.models, loaded: s.loaded });
const explicit = (s) => { const c = s.config; return { name: c.name, url: c.url, weight: c.weight, priority: c.priority, locality: c.locality, labels: c.labels, maxConcurrency: c.maxConcurrency, inFlight: s.inFlight, health: s.health, ejected: s.ejected, draining: s.draining, models: s.models, loaded: s.loaded }; };
for (const [n, f] of [["spread", spread], ["explicit", explicit], ["spread", spread], ["explicit", explicit]]) {
  let x = 0; const t = process.hrtime.bigint();
  for (let i = 0; i < 5e6; i++) { x += f(state).inFlight; }
  console.log(n, Number(process.hrtime.bigint() - t) / 5e6, "ns");
}
