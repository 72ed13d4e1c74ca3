/**
 * The middleware every OllamaService call crosses, whichever door it came
 * in by: the gRPC listener (grpc-server.ts) and the HTTP front doors
 * (http/call-invoker.ts) build their chains from this one list, so a call
 * is logged, counted, authenticated, limited and capped the same way.
 *
 * Order, outermost first: access log (so its line names the principal and
 * sees every failure) -> error details (gRPC only: turns rich errors into
 * `grpc-status-details-bin`; the HTTP doors read the rich error itself) ->
 * auth (only when enabled) -> quotas (only when a limit is configured) ->
 * stream limits -> send limit (gRPC only) -> handler. The terminator sits outside all of them, on the
 * server (it also tracks health and reflection calls) and on each front door.
 */
import type { ServerMiddleware } from "nice-grpc";
import { errorDetailsServerMiddleware } from "nice-grpc-error-details";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator.js";
import type { AuthSettings } from "../config/auth-schema.js";
import { accessLogMiddleware } from "../middleware/access-log.js";
import { authMiddleware } from "../middleware/auth.js";
import { quotaMiddleware, type OnQuotaRejected } from "../middleware/quotas.js";
import { sendLimitMiddleware } from "../middleware/send-limit.js";
import { streamLimitsMiddleware, type StreamLimits } from "../middleware/stream-limits.js";
import type { QuotaEnforcer } from "../quota/enforcer.js";
import type { CallSummary } from "../observability/metrics.js";

/** What the chain is built from. */
export interface CallChainOptions {
  logger: Logger;
  streamLimits: StreamLimits;
  /** Sees every call's access-log summary (metrics). */
  onCallEnd?: ((summary: CallSummary) => void) | undefined;
  /** Authentication; undefined when auth is disabled (then no auth middleware is installed at all). */
  auth: { authenticator: Authenticator; settings: AuthSettings } | undefined;
  /** Limits and quotas; undefined when none is configured (then no quota middleware is installed). */
  quotas?: { enforcer: QuotaEnforcer; onRejected?: OnQuotaRejected } | undefined;
  /** gRPC's limit on sent messages (transport.max_send_message_bytes); unary responses over it fail precisely. */
  maxSendMessageBytes?: number | undefined;
}

/** Which transport the chain is for. */
export type CallDoor = "grpc" | "http";

/** The OllamaService middleware, outermost first (see the module comment). */
export function ollamaServiceMiddleware(options: CallChainOptions, door: CallDoor): Array<ServerMiddleware<any, any>> {
  const chain: Array<ServerMiddleware<any, any>> = [accessLogMiddleware(options.logger, options.onCallEnd)];
  if (door === "grpc") chain.push(errorDetailsServerMiddleware);
  if (options.auth !== undefined) chain.push(authMiddleware(options.auth.authenticator, options.auth.settings));
  if (options.quotas !== undefined) chain.push(quotaMiddleware(options.quotas.enforcer, options.quotas.onRejected));
  chain.push(streamLimitsMiddleware(options.streamLimits));
  // gRPC clients refuse messages over 4 MiB by default; HTTP clients have no such limit.
  if (door === "grpc" && options.maxSendMessageBytes !== undefined) chain.push(sendLimitMiddleware(options.maxSendMessageBytes));
  return chain;
}
