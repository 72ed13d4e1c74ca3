/**
 * Assembles the nice-grpc server: OllamaService behind its middleware chain,
 * grpc.health.v1 and server reflection (outside the chain, so open unless
 * auth.open_health / auth.open_reflection are false), and graceful shutdown.
 *
 * Chain, outermost first: terminator (every service) -> access log -> error
 * details -> auth (only when enabled) -> quotas (only when some limit is
 * configured) -> stream limits -> handler.
 */
import type { ServerCredentials } from "@grpc/grpc-js";
import { createServer, type Server, type ServerAddBuilder } from "nice-grpc";
import { errorDetailsServerMiddleware } from "nice-grpc-error-details";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import type { Logger } from "pino";
import { OllamaServiceDefinition, type OllamaServiceImplementation } from "../../gen/ollama/v1/ollama.js";
import type { Authenticator } from "../auth/authenticator.js";
import type { AuthSettings } from "../config/auth-schema.js";
import { accessLogMiddleware } from "../middleware/access-log.js";
import { authMiddleware } from "../middleware/auth.js";
import { quotaMiddleware, type OnQuotaRejected } from "../middleware/quotas.js";
import type { QuotaEnforcer } from "../quota/enforcer.js";
import type { CallSummary } from "../observability/metrics.js";
import { streamLimitsMiddleware, type StreamLimits } from "../middleware/stream-limits.js";
import { Terminator } from "../middleware/terminator.js";
import { ShutdownReason } from "../service/abort-reasons.js";
import type { CallRecordContext } from "../service/call-record.js";
import type { GatewayContext, GatewayServiceImplementation } from "../service/ollama-service.js";
import { directStreamInterceptor } from "./direct-stream-interceptor.js";
import { deadlineInterceptor } from "./deadline-interceptor.js";
import { peerIdentityInterceptor } from "./peer-identity-interceptor.js";
import { OllamaServiceWireDefinition } from "./wire-definition.js";

/** Health service names this server reports (documented in the README). */
export const HEALTH_SERVICES = ["", OllamaServiceDefinition.fullName] as const;

/** Everything the server needs. */
export interface GatewayServerOptions {
  /** host:port to listen on; port 0 picks a free port. */
  listen: string;
  service: GatewayServiceImplementation;
  logger: Logger;
  streamLimits: StreamLimits;
  /** Largest request message accepted, in bytes (images make requests big). */
  maxReceiveMessageBytes: number;
  /** Serialized FileDescriptorSet for reflection; undefined disables reflection. */
  descriptorSet: Uint8Array | undefined;
  /** Sees every call's access-log summary (metrics). */
  onCallEnd?: (summary: CallSummary) => void;
  /** Authentication; undefined when auth is disabled (then no auth middleware is installed at all). */
  auth: { authenticator: Authenticator; settings: AuthSettings } | undefined;
  /** Limits and quotas; undefined when none is configured (then no quota middleware is installed). */
  quotas?: { enforcer: QuotaEnforcer; onRejected?: OnQuotaRejected } | undefined;
  /** TLS (optionally mutual); undefined listens in plaintext. */
  credentials?: ServerCredentials | undefined;
}

/** A listening gateway server. */
export interface GatewayServer {
  /** The bound port. */
  readonly port: number;
  readonly health: HealthState;
  /** Calls in flight, all services. */
  activeCalls(): number;
  /**
   * Graceful stop: health NOT_SERVING, health watches ended, no new calls,
   * in-flight calls get `drainTimeoutMs` to finish, then are aborted (ending
   * with UNAVAILABLE), then the server is forced down. Never hangs: it
   * resolves within about drainTimeoutMs + 1 s.
   */
  shutdown(drainTimeoutMs: number): Promise<void>;
}

/** Time given to aborted calls to send their status before the server is forced down. */
const ABORT_GRACE_MS = 1_000;

/** Starts the server. */
export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const terminator = new Terminator();
  const server: Server<any> = createServer({
    // The direct-stream writer first: grpc-js wraps the base call with the first interceptor (see its module).
    interceptors: [directStreamInterceptor, deadlineInterceptor, peerIdentityInterceptor],
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes,
    // Notice dead callers during long silent phases (cold loads) so their Ollama work is aborted.
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
  } as Record<string, unknown>).use(terminator.middleware);

  const auth = options.auth === undefined ? undefined : authMiddleware(options.auth.authenticator, options.auth.settings);
  // Auth sits inside the access log (so the log line names the principal) and error details (so its errors carry ErrorInfo).
  const logged = server.with(accessLogMiddleware(options.logger, options.onCallEnd)).with(errorDetailsServerMiddleware);
  const authed: ServerAddBuilder<CallRecordContext> = auth === undefined ? logged : logged.with(auth);
  const limited = options.quotas === undefined ? authed : authed.with(quotaMiddleware(options.quotas.enforcer, options.quotas.onRejected));
  // Generate and Chat yield a DirectStream where ts-proto's types expect messages: its interceptor writes them.
  const implementation = options.service as unknown as OllamaServiceImplementation<GatewayContext>;
  limited.with(streamLimitsMiddleware(options.streamLimits)).add(OllamaServiceWireDefinition, implementation);

  // Health and reflection are open unless auth.open_health / auth.open_reflection say otherwise.
  const guard = (open: boolean | undefined) => (auth === undefined || open !== false ? server : server.with(auth));
  const health = HealthState();
  guard(options.auth?.settings.openHealth).add(HealthDefinition, HealthServiceImpl(health));
  for (const name of HEALTH_SERVICES) health.setStatus("healthy", name);

  if (options.descriptorSet !== undefined) {
    guard(options.auth?.settings.openReflection).add(ServerReflectionService, ServerReflection(options.descriptorSet, [OllamaServiceDefinition.fullName]));
  }

  const port = await server.listen(options.listen, options.credentials);
  let stopping: Promise<void> | undefined;

  return {
    port,
    health,
    activeCalls: () => terminator.activeCalls,
    shutdown(drainTimeoutMs: number): Promise<void> {
      stopping ??= stop(server, health, terminator, drainTimeoutMs, options.logger);
      return stopping;
    },
  };
}

async function stop(server: Server<any>, health: HealthState, terminator: Terminator, drainTimeoutMs: number, logger: Logger): Promise<void> {
  for (const name of HEALTH_SERVICES) health.setStatus("unhealthy", name);
  terminator.terminate();
  logger.info({ activeCalls: terminator.activeCalls, drainTimeoutMs }, "shutting down: draining in-flight calls");
  const drained = server.shutdown();
  if (await settlesWithin(drained, drainTimeoutMs)) return;
  logger.warn({ activeCalls: terminator.activeCalls }, "drain timeout expired: aborting in-flight calls");
  terminator.abortAll(new ShutdownReason());
  // The aborted calls end with UNAVAILABLE; the graceful shutdown completes once
  // their statuses are written. Forcing it earlier would reset those streams
  // and the callers would see CANCELLED instead.
  if (await settlesWithin(drained, ABORT_GRACE_MS)) return;
  logger.warn({ activeCalls: terminator.activeCalls }, "calls still open after abort: forcing shutdown");
  server.forceShutdown();
}

/** Waits for `promise` at most `ms`; true when it settled in time. The timer never outlives the wait. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
