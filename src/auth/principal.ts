/**
 * Who is calling, once authenticated: a name for logs, a tenant for
 * accounting and limits, scopes for what they may do, and model globs for
 * which models they may use. A Principal never carries the credential it was
 * derived from.
 */
import type { LimitSpec } from "../config/quota-schema.js";
import { modelGlobMatcher } from "../ollama/model-glob.js";

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
  readonly credential: "api_key" | "jwt" | "spiffe" | "none";
  /** This caller's own limits (an API key's `limits`), overriding `quotas.per_principal` field by field. */
  readonly limits?: LimitSpec | undefined;
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
 * (use it to filter long lists); see modelGlobMatcher for the matching rules.
 */
export function modelMatcher(principal: Principal): (model: string) => boolean {
  return allowsEveryModel(principal) ? () => true : modelGlobMatcher(principal.models);
}

/** True when `principal` may use `model` (see modelMatcher for the matching rules). */
export function mayUseModel(principal: Principal, model: string): boolean {
  return modelMatcher(principal)(model);
}

