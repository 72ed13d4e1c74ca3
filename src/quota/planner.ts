/**
 * Which limits apply to a call, from the `quotas` settings:
 * - the caller's own limits: `quotas.per_principal`, overridden field by
 *   field by its API key's `limits` (`none` lifts a limit);
 * - every `quotas.per_model` rule whose glob matches the requested model,
 *   counted per caller (`per: principal`) or shared by all (`per: all`).
 * Concurrent-stream limits apply to streaming calls only, token limits to
 * calls that consume tokens (generation and embedding). Store keys are the
 * same on every replica, so a shared store sees one budget per subject.
 */
import type { Principal } from "../auth/principal.js";
import type { LimitSpec, ModelRule, QuotaSettings } from "../config/quota-schema.js";
import { modelGlobMatcher } from "../ollama/model-glob.js";
import type { CallPlan, PlannedLimit } from "./types.js";

/** What kind of call is being planned. */
export interface CallShape {
  /** The model the request names, if any. */
  model: string | undefined;
  /** Server-streaming (concurrent-stream limits apply). */
  streaming: boolean;
  /** Consumes tokens (tokens-per-minute limits apply). */
  countsTokens: boolean;
}

/** Limits with inheritance resolved; absent means unlimited. */
interface Resolved {
  requestRate?: { perSecond: number; text: string; burst: number };
  concurrentStreams?: number;
  tokensPerMinute?: number;
}

export class QuotaPlanner {
  readonly #perPrincipal: LimitSpec;
  readonly #rules: Array<ModelRule & { matches: (model: string) => boolean; resolved: Resolved }>;
  /** Resolved per-principal limits, by override object (API keys share theirs; others use the default). */
  readonly #resolved = new WeakMap<LimitSpec, Resolved>();
  readonly #default: Resolved;

  constructor(settings: Pick<QuotaSettings, "perPrincipal" | "perModel">) {
    this.#perPrincipal = settings.perPrincipal;
    this.#default = resolve(settings.perPrincipal);
    this.#rules = settings.perModel.map((rule) => ({ ...rule, matches: modelGlobMatcher([rule.model]), resolved: resolve(rule.limits) }));
  }

  /** The limits of one call (groups are empty when nothing limits it). */
  plan(principal: Principal, call: CallShape): CallPlan {
    const plan: CallPlan = { requests: [], slots: [], tokens: [] };
    const who = `${principal.credential}/${encodeURIComponent(principal.name)}`;
    add(plan, this.#forPrincipal(principal), call, `p/${who}`, `principal:${principal.name}`);
    if (call.model !== undefined && call.model !== "") {
      for (const rule of this.#rules) {
        if (!rule.matches(call.model)) continue;
        const model = encodeURIComponent(rule.model);
        if (rule.per === "all") add(plan, rule.resolved, call, `m/${model}`, `model:${rule.model}`);
        else add(plan, rule.resolved, call, `m/${model}/p/${who}`, `principal:${principal.name}/model:${rule.model}`);
      }
    }
    return plan;
  }

  #forPrincipal(principal: Principal): Resolved {
    if (principal.limits === undefined) return this.#default;
    let resolved = this.#resolved.get(principal.limits);
    if (resolved === undefined) {
      resolved = resolve(override(this.#perPrincipal, principal.limits));
      this.#resolved.set(principal.limits, resolved);
    }
    return resolved;
  }
}

/** True when a plan limits nothing. */
export function isEmptyPlan(plan: CallPlan): boolean {
  return plan.requests.length === 0 && plan.slots.length === 0 && plan.tokens.length === 0;
}

/** `base` with the fields `over` sets replaced (a request rate and its burst go together). */
function override(base: LimitSpec, over: LimitSpec): LimitSpec {
  const merged: LimitSpec = { ...base };
  if (over.requestRate !== undefined) {
    merged.requestRate = over.requestRate;
    if (over.burst === undefined) delete merged.burst;
    else merged.burst = over.burst;
  }
  if (over.concurrentStreams !== undefined) merged.concurrentStreams = over.concurrentStreams;
  if (over.tokensPerMinute !== undefined) merged.tokensPerMinute = over.tokensPerMinute;
  return merged;
}

function resolve(spec: LimitSpec): Resolved {
  const resolved: Resolved = {};
  if (spec.requestRate != null) {
    resolved.requestRate = { ...spec.requestRate, burst: spec.burst ?? Math.max(1, Math.ceil(spec.requestRate.perSecond)) };
  }
  if (spec.concurrentStreams != null) resolved.concurrentStreams = spec.concurrentStreams;
  if (spec.tokensPerMinute != null) resolved.tokensPerMinute = spec.tokensPerMinute;
  return resolved;
}

function add(plan: CallPlan, limits: Resolved, call: CallShape, key: string, subject: string): void {
  const rate = limits.requestRate;
  if (rate !== undefined) {
    plan.requests.push(limit("request_rate", `rate/${key}`, subject, `request rate ${rate.text} (burst ${rate.burst})`, rate.burst, rate.perSecond / 1000));
  }
  if (limits.concurrentStreams !== undefined && call.streaming) {
    const n = limits.concurrentStreams;
    plan.slots.push(limit("concurrent_streams", `streams/${key}`, subject, `${n} concurrent stream${n === 1 ? "" : "s"}`, n, 0));
  }
  if (limits.tokensPerMinute !== undefined && call.countsTokens) {
    const n = limits.tokensPerMinute;
    plan.tokens.push(limit("tokens_per_minute", `tokens/${key}`, subject, `${n} tokens per minute`, n, n / 60_000));
  }
}

function limit(kind: PlannedLimit["kind"], key: string, subject: string, description: string, capacity: number, refillPerMs: number): PlannedLimit {
  return { kind, key, subject, description, capacity, refillPerMs };
}
