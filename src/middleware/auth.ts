/**
 * Authentication and per-call authorization. Each call's credentials become a
 * Principal on the context (UNAUTHENTICATED when missing or invalid), then:
 * management calls need the admin scope, and every model the request names
 * (`model`, or `source` and `destination` for CopyModel) must match the
 * principal's globs (PERMISSION_DENIED otherwise). ListModels and
 * ListRunningModels stay allowed; their answers are filtered down to the
 * models the principal may use. Methods configured as open skip all of this
 * and run as ANONYMOUS. Errors never echo a credential.
 *
 * Not installed at all when auth is disabled. Health and reflection are
 * outside the chain (grpc-server.ts), so they stay open unless configured
 * otherwise; on them the middleware only authenticates.
 */
import { Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import { ErrorInfo, RichServerError } from "nice-grpc-error-details";
import { AuthError, type Authenticator } from "../auth/authenticator.js";
import { ANONYMOUS, allowsEveryModel, modelMatcher, type Principal } from "../auth/principal.js";
import { MANAGEMENT_METHOD_PATHS } from "../config/auth-schema.js";
import type { CallRecord, CallRecordContext } from "../service/call-record.js";
import { ERROR_DOMAIN } from "../service/status.js";

/** Context extension carrying the caller's principal. */
export interface PrincipalContext {
  principal: Principal;
}

/** What the middleware checks besides credentials. */
export interface AuthMiddlewareOptions {
  /** Fully-qualified method paths that need no credentials. */
  openMethods: Iterable<string>;
  /** Scope required by management calls. */
  adminScope: string;
}

/** ErrorInfo reasons this middleware produces, stable API. */
export const AuthReason = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
  AUTH_UNAVAILABLE: "AUTH_UNAVAILABLE",
  ADMIN_SCOPE_REQUIRED: "ADMIN_SCOPE_REQUIRED",
  MODEL_NOT_ALLOWED: "MODEL_NOT_ALLOWED",
} as const;

/** Calls whose answer lists models; filtered to the principal's models. */
const LISTING_METHODS: ReadonlySet<string> = new Set(["ListModels", "ListRunningModels"].map((name) => `/ollama.v1.OllamaService/${name}`));

/**
 * Request fields naming a model. Checked on every request that has them, so
 * a new RPC with a `model` field is covered without a change here.
 */
const MODEL_FIELDS = ["model", "source", "destination"] as const;

/** Creates the middleware. */
export function authMiddleware(authenticator: Authenticator, options: AuthMiddlewareOptions) {
  const open = new Set(options.openMethods);
  return async function* auth<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, PrincipalContext>,
    context: CallContext & Partial<CallRecordContext>,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const path = call.method.path;
    const record = context.callRecord;
    if (open.has(path)) {
      if (record !== undefined) record.principal = ANONYMOUS.name;
      return yield* call.next(call.request, { ...context, principal: ANONYMOUS });
    }
    let principal: Principal;
    try {
      principal = await authenticator.authenticate(context.metadata);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      throw unauthenticated(error, path, record);
    }
    if (record !== undefined) {
      record.principal = principal.name;
      record.tenant = principal.tenant;
    }
    authorize(path, call.requestStream ? undefined : call.request, principal, options.adminScope, record);
    const next = call.next(call.request, { ...context, principal });
    if (!LISTING_METHODS.has(path) || allowsEveryModel(principal)) return yield* next;
    return filterListing(yield* next, principal);
  };
}

/**
 * Throws PERMISSION_DENIED unless `principal` may make this call. `request`
 * is undefined for a client stream (OllamaService has none), whose messages
 * are not inspected.
 */
function authorize(path: string, request: unknown, principal: Principal, adminScope: string, record: CallRecord | undefined): void {
  const method = path.slice(path.lastIndexOf("/") + 1);
  if (MANAGEMENT_METHOD_PATHS.has(path) && !principal.scopes.has(adminScope)) {
    throw denied(
      record,
      AuthReason.ADMIN_SCOPE_REQUIRED,
      `${method} is a management call and needs the '${adminScope}' scope, which principal '${principal.name}' lacks`,
      { method, principal: principal.name, scope: adminScope },
    );
  }
  if (allowsEveryModel(principal) || typeof request !== "object" || request === null) return;
  const allowed = modelMatcher(principal);
  for (const field of MODEL_FIELDS) {
    const model = (request as Record<string, unknown>)[field];
    // An empty name is left to request validation (INVALID_ARGUMENT); it reaches no backend.
    if (typeof model !== "string" || model.trim() === "" || allowed(model)) continue;
    throw denied(record, AuthReason.MODEL_NOT_ALLOWED, `principal '${principal.name}' may not use model '${model}'`, {
      method,
      model,
      principal: principal.name,
    });
  }
}

/** Keeps the listed models the principal may use; everything else in the answer is untouched. */
function filterListing<T>(response: T, principal: Principal): T {
  const models = typeof response === "object" && response !== null ? (response as { models?: unknown }).models : undefined;
  if (!Array.isArray(models)) return response;
  const allowed = modelMatcher(principal);
  return { ...response, models: models.filter((m: { name?: unknown }) => typeof m.name === "string" && allowed(m.name)) };
}

function unauthenticated(error: AuthError, path: string, record: CallRecord | undefined): RichServerError {
  const method = path.slice(path.lastIndexOf("/") + 1);
  const [code, reason, message] =
    error.kind === "missing"
      ? [Status.UNAUTHENTICATED, AuthReason.UNAUTHENTICATED, "missing credentials: send 'authorization: Bearer <token>' or 'x-api-key: <key>' metadata"]
      : error.kind === "expired"
        ? [Status.UNAUTHENTICATED, AuthReason.TOKEN_EXPIRED, "the token has expired"]
        : error.kind === "unavailable"
          ? [Status.UNAVAILABLE, AuthReason.AUTH_UNAVAILABLE, "cannot verify credentials right now (token signing keys unavailable); retry later"]
          : [Status.UNAUTHENTICATED, AuthReason.UNAUTHENTICATED, "invalid credentials"];
  if (record !== undefined) {
    record.errorReason = reason;
    record.authFailure = error.reason;
  }
  return new RichServerError(code, message, [ErrorInfo.fromPartial({ reason, domain: ERROR_DOMAIN, metadata: { method } })]);
}

function denied(record: CallRecord | undefined, reason: string, message: string, metadata: Record<string, string>): RichServerError {
  if (record !== undefined) record.errorReason = reason;
  return new RichServerError(Status.PERMISSION_DENIED, message, [ErrorInfo.fromPartial({ reason, domain: ERROR_DOMAIN, metadata })]);
}
