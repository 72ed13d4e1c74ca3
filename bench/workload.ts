/**
 * The scheduling benchmark's scenario: the simulated fleet and a
 * deterministic workload (seeded PRNG, so every policy replays the very same
 * sessions, models, prompts, answer lengths and think times).
 *
 * Fleet (FLEET below)
 *   - 8 simulated Ollama nodes; NUM_PARALLEL 2, 3, 4, 2, 3, 4, 2, 3 (per model,
 *     as in Ollama; the gateway's `max_concurrency` per node is the same number).
 *   - 6 models, memory for 2 per node (OLLAMA_MAX_LOADED_MODELS=2, LRU eviction
 *     of an idle model). Cold loads take 1.0-2.5 s, bigger models slower.
 *   - Residency at start: every node holds 2 models, chosen round robin over
 *     the models in popularity order (node i: models 2i mod 6 and 2i+1 mod 6),
 *     so every model is resident somewhere (m0-m3 on 3 nodes, m4-m5 on 2)
 *     and every policy starts from the same, policy-neutral state. Nothing is
 *     learned before the run (the gateway starts fresh).
 *   - Answers: first token after 40 ms, then 50 tokens/s; num_predict 8-20, so an
 *     answer holds its slot for about 0.2-0.45 s.
 *
 * Workload (WORKLOAD below)
 *   - Sessions arrive open loop (Poisson) at 3 sessions/s for 30 s.
 *   - Each session uses one model, drawn from a Zipf(s = 1.1) law over the 6
 *     models (shares 44 %, 20 %, 13 %, 9 %, 7 %, 6 %).
 *   - Turns per session: 1 + geometric, mean 5, at most 12. Each turn is a Chat
 *     carrying the whole conversation so far and the metadata `x-session-id`.
 *     The next turn is sent a think time (exponential, mean 1.5 s, at least 0.3 s)
 *     after the previous answer ended (or failed): a user waits for the answer.
 *   - No turn starts later than 8 s after the arrival window closes (the user
 *     has left; such turns are counted as "not sent"); each request has a
 *     15 s deadline (client-side cancel).
 *   With seed 20261121 that is 82 sessions and 407 planned turns (alpha 206,
 *   bravo 102, the other four 22-28 each): about 10 requests/s at the peak.
 *   A fleet that never loads a model serves ~60 requests/s, so a model-aware
 *   scheduler has ample room; a model-blind one turns ~40 % of requests into
 *   cold loads (serialized per node), which keeps it near its knee, busy but
 *   not hopelessly overloaded (at 4 sessions/s round robin's median TTFT is
 *   already above 2 s; at 7 it is above 7 s).
 */

/** A model of the simulated fleet. */
export interface FleetModel {
  readonly name: string;
  readonly loadMs: number;
}

/** One simulated node. */
export interface FleetNode {
  readonly name: string;
  readonly numParallel: number;
  readonly preloaded: readonly string[];
}

/** Everything the fleet process needs to start the simulators. */
export interface FleetSpec {
  readonly models: readonly FleetModel[];
  readonly nodes: readonly FleetNode[];
  readonly maxLoadedModels: number;
  readonly firstTokenMs: number;
  readonly tokensPerSecond: number;
  /** Answer length when a request sends no num_predict (every benchmark request sends one). */
  readonly tokens: number;
}

const MODEL_NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"] as const;
const LOAD_MS = [1_000, 1_300, 1_600, 1_900, 2_200, 2_500] as const;
const NUM_PARALLEL = [2, 3, 4, 2, 3, 4, 2, 3] as const;
const MAX_LOADED = 2;

/** The fleet, models in popularity order (the first is the most popular). */
export const FLEET: FleetSpec = {
  models: MODEL_NAMES.map((name, i) => ({ name: `${name}:latest`, loadMs: LOAD_MS[i]! })),
  nodes: NUM_PARALLEL.map((numParallel, i) => ({
    name: `node${i}`,
    numParallel,
    preloaded: Array.from({ length: MAX_LOADED }, (_, k) => `${MODEL_NAMES[(MAX_LOADED * i + k) % MODEL_NAMES.length]!}:latest`),
  })),
  maxLoadedModels: MAX_LOADED,
  firstTokenMs: 40,
  tokensPerSecond: 50,
  tokens: 12,
};

/** Workload parameters. */
export interface WorkloadParams {
  readonly seed: number;
  /** Session arrivals (Poisson), per second. */
  readonly sessionsPerSecond: number;
  /** Sessions arrive during [0, arrivalWindowMs). */
  readonly arrivalWindowMs: number;
  /** No turn starts after arrivalWindowMs + lastTurnGraceMs. */
  readonly lastTurnGraceMs: number;
  /** Zipf exponent over the models in popularity order. */
  readonly zipfExponent: number;
  /** Mean turns per session (1 + geometric). */
  readonly meanTurns: number;
  readonly maxTurns: number;
  /** Think time between an answer and the next turn: exponential with this mean, at least minThinkMs. */
  readonly meanThinkMs: number;
  readonly minThinkMs: number;
  /** num_predict per turn, uniform in [min, max]. */
  readonly minNumPredict: number;
  readonly maxNumPredict: number;
  /** Client-side deadline of each request. */
  readonly deadlineMs: number;
}

export const WORKLOAD: WorkloadParams = {
  seed: 20_261_121,
  sessionsPerSecond: 3,
  arrivalWindowMs: 30_000,
  lastTurnGraceMs: 8_000,
  zipfExponent: 1.1,
  meanTurns: 5,
  maxTurns: 12,
  meanThinkMs: 1_500,
  minThinkMs: 300,
  minNumPredict: 8,
  maxNumPredict: 20,
  deadlineMs: 15_000,
};

/** One turn of a session. */
export interface Turn {
  /** Wait after the previous turn ended (the first turn starts at the session's start). */
  readonly thinkMs: number;
  readonly prompt: string;
  readonly numPredict: number;
}

/** One conversation. */
export interface Session {
  readonly id: string;
  /** Offset from the start of the run. */
  readonly startMs: number;
  readonly model: string;
  readonly turns: readonly Turn[];
}

/** The simulator's seeded PRNG (one implementation), re-exported for the benchmark. */
import { mulberry32 } from "../src/sim/prng.js";
export { mulberry32 };

/** Zipf probabilities for ranks 1..n. */
export function zipfWeights(n: number, exponent: number): number[] {
  const raw = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, exponent));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

function drawIndex(random: () => number, weights: readonly number[]): number {
  let u = random();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

const WORDS = ["why", "is", "the", "sky", "blue", "tell", "me", "more", "about", "it", "and", "then", "explain", "how", "a", "cache", "works"];

/** The sessions of a run: identical for every policy given the same parameters. */
export function generateWorkload(params: WorkloadParams = WORKLOAD, fleet: FleetSpec = FLEET): Session[] {
  const random = mulberry32(params.seed);
  const weights = zipfWeights(fleet.models.length, params.zipfExponent);
  const sessions: Session[] = [];
  // Geometric number of extra turns with mean (meanTurns - 1): P(continue) = p.
  const continueP = (params.meanTurns - 1) / params.meanTurns;
  for (let t = exponential(random, 1_000 / params.sessionsPerSecond); t < params.arrivalWindowMs; t += exponential(random, 1_000 / params.sessionsPerSecond)) {
    const model = fleet.models[drawIndex(random, weights)]!.name;
    const turns: Turn[] = [];
    do {
      const words = 3 + Math.floor(random() * 8);
      const prompt = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(" ");
      turns.push({
        thinkMs: turns.length === 0 ? 0 : Math.max(params.minThinkMs, exponential(random, params.meanThinkMs)),
        prompt,
        numPredict: params.minNumPredict + Math.floor(random() * (params.maxNumPredict - params.minNumPredict + 1)),
      });
    } while (turns.length < params.maxTurns && random() < continueP);
    sessions.push({ id: `s${String(sessions.length).padStart(4, "0")}-${params.seed.toString(36)}`, startMs: Math.round(t), model, turns });
  }
  return sessions;
}

/** A summary of a workload, for reports. */
export function describeWorkload(sessions: readonly Session[], fleet: FleetSpec = FLEET): { sessions: number; turns: number; byModel: Record<string, { sessions: number; turns: number }> } {
  const byModel: Record<string, { sessions: number; turns: number }> = {};
  for (const model of fleet.models) byModel[model.name] = { sessions: 0, turns: 0 };
  for (const session of sessions) {
    const entry = byModel[session.model]!;
    entry.sessions += 1;
    entry.turns += session.turns.length;
  }
  return { sessions: sessions.length, turns: sessions.reduce((n, s) => n + s.turns.length, 0), byModel };
}
