/**
 * The policy registry: policy name -> factory (with its own config parser),
 * as grpc-js registers load balancers by name. It is a value passed to
 * whoever builds balancers, never a module-level table, so tests and
 * embedders can add or omit policies without touching global state.
 */
import type { PolicyFactory } from "../types.js";
import { leastRequestPolicyFactory } from "./least-request.js";
import { randomPolicyFactory } from "./random.js";
import { ringHashPolicyFactory } from "./ring-hash.js";
import { roundRobinPolicyFactory } from "./round-robin.js";

/** Looks policies up by name. Immutable once created. */
export interface PolicyRegistry {
  /** The factory registered under `name`, or undefined. */
  get(name: string): PolicyFactory | undefined;
  /** Registered names, built-ins first, in registration order (for "expected one of" messages). */
  names(): string[];
}

/** The policies every registry starts with. */
export const builtinPolicyFactories: readonly PolicyFactory[] = [
  roundRobinPolicyFactory,
  leastRequestPolicyFactory,
  ringHashPolicyFactory,
  randomPolicyFactory,
];

/**
 * A registry of the built-in policies plus `extra` (e.g. the Ollama-aware
 * policy). Throws when two factories share a name: a silent override would
 * make a config mean different things depending on wiring order.
 */
export function createPolicyRegistry(extra: readonly PolicyFactory[] = []): PolicyRegistry {
  const factories = new Map<string, PolicyFactory>();
  for (const factory of [...builtinPolicyFactories, ...extra]) {
    if (factories.has(factory.name)) throw new Error(`policy registry: duplicate policy name "${factory.name}"`);
    factories.set(factory.name, factory);
  }
  return {
    get: (name) => factories.get(name),
    names: () => [...factories.keys()],
  };
}
