/**
 * Public surface of the Ollama HTTP API simulator: start one with
 * {@link startSimulator}, drive it over real sockets, inspect it through
 * `stats()`, `requests()` and `events`, and inject faults per model or per
 * request (`x-sim-fault` header).
 */
export { startSimulator } from "./simulator.js";
export type { RunningSimulator } from "./simulator.js";
export { DEFAULT_SIM_MODELS } from "./model-catalogue.js";
export type { SimCapability, SimModel } from "./model-catalogue.js";
export type { FaultSpec, SimulatorOptions } from "./options.js";
export type { RecordedRequest, RequestEnd, RequestOutcome, RequestQueued, SimStats } from "./stats.js";
export { RUNNER_CRASH_MESSAGE } from "./faults.js";
export { KEEP_FOREVER, parseGoDuration, parseKeepAlive } from "../ollama/keep-alive.js";
