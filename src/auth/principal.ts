/**
 * Who is calling, once authenticated: a name for logs, a tenant for
 * accounting and limits, scopes for what they may do, and model globs for
 * which models they may use. A Principal never carries the credential it was
 * derived from.
 */
import { modelKey } from "../ollama/model-name.js";
import { globToRegExp } from "../service/cluster-router.js";

/** An authenticated caller. Immutable. */
export interface Principal {
  /** API key entry name, or the JWT `sub`. Safe to log. */
  readonly name: string;
  /** Tenant the caller belongs to. */
  readonly tenant: string;
  /** Granted scopes, e.g. "admin". */
  readonly scopes: ReadonlySet<string>;
  /**
   * Glob patterns ("llama3*", "*:70b") of the models the caller may use,
   * matched case-insensitively; empty, or containing "*", means every model.
   */
  readonly models: readonly string[];
  /** How the caller authenticated ("none" only for methods that need no authentication). */
  readonly credential: "api_key" | "jwt" | "none";
}

/**
 * The principal attached to calls of open methods (configured to need no
 * authentication). It has no scopes; the middleware runs no model or scope
 * checks for open methods, so its `models` are never consulted there.
 */
export const ANONYMOUS: Principal = Object.freeze({
  name: "anonymous",
  tenant: "",
  scopes: new Set<string>(),
  models: Object.freeze([]) as readonly string[],
  credential: "none",
});

/** True when the principal's globs allow every model. */
export function allowsEveryModel(principal: Principal): boolean {
  return principal.models.length === 0 || principal.models.includes("*");
}

/**
 * A predicate for the models `principal` may use, compiling its globs once
 * (use it to filter long lists). A name matches when a glob matches it as
 * sent, its key ("llama3.2" -> "llama3.2:latest"), or its key without
 * ":latest", so the glob "llama3.2" covers "llama3.2:latest" and vice versa.
 */
export function modelMatcher(principal: Principal): (model: string) => boolean {
  if (allowsEveryModel(principal)) return () => true;
  const patterns = principal.models.map(globToRegExp);
  return (model) => {
    const key = modelKey(model);
    const candidates = [model, key, key.endsWith(":latest") ? key.slice(0, -":latest".length) : key];
    return patterns.some((pattern) => candidates.some((candidate) => pattern.test(candidate)));
  };
}

/** True when `principal` may use `model` (see modelMatcher for the matching rules). */
export function mayUseModel(principal: Principal, model: string): boolean {
  return modelMatcher(principal)(model);
}

