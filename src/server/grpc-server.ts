/**
 * Assembles the nice-grpc server: OllamaService behind its middleware chain,
 * grpc.health.v1 and server reflection (outside the chain, so open unless
 * auth.open_health / auth.open_reflection are false), and graceful shutdown.
 *
 * Chain, outermost first: terminator (every service) -> the OllamaService
 * chain of call-chain.ts (access log, error details, auth, quotas, stream
 * limits) -> handler.
 */
import type { ServerCredentials } from "@grpc/grpc-js";
import { createServer, type Server, type ServerAddBuilder } from "nice-grpc";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { OllamaServiceDefinition, type OllamaServiceImplementation } from "../../gen/ollama/v1/ollama.js";
import { authMiddleware } from "../middleware/auth.js";
import { Terminator } from "../middleware/terminator.js";
import { ShutdownReason } from "../service/abort-reasons.js";
import type { GatewayContext, GatewayServiceImplementation } from "../service/ollama-service.js";
import { ollamaServiceMiddleware, type CallChainOptions } from "./call-chain.js";
import { directStreamInterceptor } from "./direct-stream-interceptor.js";
import { deadlineInterceptor } from "./deadline-interceptor.js";
import { peerIdentityInterceptor } from "./peer-identity-interceptor.js";
import { OllamaServiceWireDefinition } from "./wire-definition.js";

/** Health service names this server reports (documented in the README). */
export const HEALTH_SERVICES = ["", OllamaServiceDefinition.fullName] as const;

/** Everything the server needs (the chain's options included). */
export interface GatewayServerOptions extends CallChainOptions {
  /** host:port to listen on; port 0 picks a free port. */
  listen: string;
  service: GatewayServiceImplementation;
  /** Largest request message accepted, in bytes (images make requests big). */
  maxReceiveMessageBytes: number;
  /** HTTP/2 transport of the listener (config `transport`): keepalive, connection age, streams, send limit. */
  transport: Config["transport"];
  /** Serialized FileDescriptorSet for reflection; undefined disables reflection. */
  descriptorSet: Uint8Array | undefined;
  /** TLS (optionally mutual); undefined listens in plaintext. */
  credentials?: ServerCredentials | undefined;
  /** Tracks the calls of the HTTP front doors too, so one shutdown drains both; a fresh one when absent. */
  terminator?: Terminator | undefined;
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
  const terminator = options.terminator ?? new Terminator();
  const server: Server<any> = createServer({
    // The direct-stream writer first: grpc-js wraps the base call with the first interceptor (see its module).
    interceptors: [directStreamInterceptor, deadlineInterceptor, peerIdentityInterceptor],
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes,
    // grpc-js's server default is unlimited; clients reject over 4 MiB by default, so fail here, with RESOURCE_EXHAUSTED.
    "grpc.max_send_message_length": options.transport.maxSendMessageBytes,
    // Notice dead callers during long silent phases (cold loads) so their Ollama work is aborted. The
    // server pings whether or not calls are open; grpc-js has no server-side keepalive_permit_without_calls.
    "grpc.keepalive_time_ms": options.transport.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": options.transport.keepaliveTimeoutMs,
    // No client-ping policy is set: grpc-js 1.14's server reads no grpc.http2.min_ping_interval_without_data_ms
    // (it has no ping-strike policy; every client ping is answered).
    // grpc-js takes any value given as a setting (0 would send GOAWAY at once), so "0 = unset" means leaving it out.
    ...(options.transport.maxConnectionAgeMs > 0 ? { "grpc.max_connection_age_ms": options.transport.maxConnectionAgeMs } : {}),
    ...(options.transport.maxConnectionAgeGraceMs > 0 ? { "grpc.max_connection_age_grace_ms": options.transport.maxConnectionAgeGraceMs } : {}),
    ...(options.transport.maxConcurrentStreams > 0 ? { "grpc.max_concurrent_streams": options.transport.maxConcurrentStreams } : {}),
  } as Record<string, unknown>).use(terminator.middleware);

  // Generate and Chat yield a DirectStream where ts-proto's types expect messages: its interceptor writes them.
  const implementation = options.service as unknown as OllamaServiceImplementation<GatewayContext>;
  const chained = ollamaServiceMiddleware(options, "grpc").reduce<ServerAddBuilder<any>>((builder, middleware) => builder.with(middleware), server);
  chained.add(OllamaServiceWireDefinition, implementation);

  const auth = options.auth === undefined ? undefined : authMiddleware(options.auth.authenticator, options.auth.settings);
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
  // The terminator also tracks the HTTP front doors' calls (it is shared): the drain waits for both doors.
  const drained = Promise.all([server.shutdown(), terminator.whenIdle()]);
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
