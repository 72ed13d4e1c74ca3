/**
 * Composition root: configuration -> fleet (clients, pool, health, outlier
 * detection, catalogue) -> service -> gRPC server, and the admin endpoint.
 * Everything with a lifetime is created here and closed by `close()`.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { packageFile, packageVersion } from "./common/package-files.js";
import type { Config } from "./config/schema.js";
import { settingsNeedingRestart } from "./config/watch.js";
import { startAdminServer, type AdminServer } from "./server/admin-server.js";
import { FleetHealthPublisher } from "./server/fleet-health.js";
import { startGatewayServer, type GatewayServer } from "./server/grpc-server.js";
import { createFleet, type FleetRuntime } from "./service/create-fleet.js";
import { createResolver } from "./service/discovery.js";
import { systemClock } from "./upstream/types.js";
import { createOllamaService } from "./service/ollama-service.js";

/** A running gateway. */
export interface Gateway {
  readonly port: number;
  /** The admin HTTP port, when the admin endpoint is enabled. */
  readonly adminPort: number | undefined;
  readonly server: GatewayServer;
  readonly fleet: FleetRuntime;
  /**
   * Applies a reloaded configuration: the backend list changes at once (new
   * endpoints join, removed ones drain, in-flight streams are untouched);
   * returns the other settings that changed, which take effect on restart.
   */
  reload(config: Config): string[];
  /** Graceful stop (see GatewayServer.shutdown), then the admin endpoint, the fleet and its pools. Idempotent. */
  close(): Promise<void>;
}

/** How long start-up waits for the first catalogue round (routing works without it, just less precisely). */
const FIRST_CATALOGUE_WAIT_MS = 1_000;

/** Starts a gateway for `config`. */
export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const discovered = config.discovery.type !== "static";
  // With DNS or xDS the fleet starts empty; calls wait (bounded by the queue) for the first answer.
  const runtime = createFleet(discovered ? { ...config, backends: [] } : config, {
    connections: config.upstream.connections,
    connectTimeoutMs: config.upstream.connectTimeoutMs,
    headersTimeoutMs: config.upstream.firstTokenTimeoutMs,
    bodyTimeoutMs: config.upstream.idleTimeoutMs,
    keepAliveTimeoutMs: config.upstream.keepAliveTimeoutMs,
    userAgent: `ollama-grpc-gateway/${packageVersion()}`,
  });
  const resolver = createResolver(config, systemClock);
  resolver?.start({
    onEndpoints: (endpoints) => {
      logger.info({ discovery: config.discovery.type, endpoints: endpoints.map((e) => `${e.name}=${e.url}`) }, "endpoints discovered");
      runtime.setEndpoints(endpoints);
    },
    onError: (error) => logger.warn({ discovery: config.discovery.type, err: error }, "endpoint discovery failed; keeping the last endpoints"),
  });
  const firstCatalogue = runtime.poller.start();
  await Promise.race([firstCatalogue, new Promise((resolve) => setTimeout(resolve, FIRST_CATALOGUE_WAIT_MS).unref())]);
  const service = createOllamaService({
    fleet: runtime.fleet,
    limits: { maxImageBytes: config.limits.maxImageBytes, maxImages: config.limits.maxImages },
    metadataTimeoutMs: config.upstream.metadataTimeoutMs,
    maxEmbedInputs: config.limits.maxEmbedInputs,
    managementEnabled: config.management.enabled,
    gatewayVersion: packageVersion(),
    retry: { ...config.retry, random: Math.random },
    affinityMetadata: config.balancing.affinityMetadata,
    priorityMetadata: config.balancing.priorityMetadata,
    onFleetChanged: (backends) => void runtime.poller.refresh(backends),
  });
  let server: GatewayServer;
  let admin: AdminServer | undefined;
  let stopHealth = (): void => {};
  try {
    server = await startGatewayServer({
      listen: config.listen,
      service,
      logger,
      streamLimits: { maxStreamDurationMs: config.streams.maxStreamDurationMs, maxDeadlineMs: config.streams.maxDeadlineMs },
      maxReceiveMessageBytes: config.limits.maxMessageBytes,
      descriptorSet: config.reflection ? readFileSync(packageFile("gen/descriptor.binpb")) : undefined,
    });
    const fleetHealth = new FleetHealthPublisher(server.health);
    const publish = () => fleetHealth.publish(runtime.fleet.pool.endpoints());
    runtime.onChange(publish);
    publish();
    stopHealth = () => fleetHealth.stop();
    if (config.admin.listen !== "") {
      admin = await startAdminServer(config.admin.listen, () => ({ gateway: { version: packageVersion(), port: server.port }, ...runtime.status() }));
    }
  } catch (error) {
    resolver?.stop();
    await runtime.close(true);
    throw error;
  }
  logger.info(
    { port: server.port, adminPort: admin?.port, policy: config.balancing.policy, backends: config.backends.map((b) => `${b.name}=${b.url}`) },
    "gateway listening",
  );
  let closing: Promise<void> | undefined;
  let current = config;
  return {
    port: server.port,
    adminPort: admin?.port,
    server,
    fleet: runtime,
    reload(next) {
      const pending = settingsNeedingRestart(current, next);
      if (!discovered) runtime.setEndpoints(next.backends); // with DNS or xDS the resolver owns the list
      current = { ...current, backends: next.backends };
      logger.info({ backends: next.backends.map((b) => `${b.name}=${b.url}`), needRestart: pending }, "configuration reloaded");
      return pending;
    },
    close() {
      closing ??= (async () => {
        stopHealth(); // shutdown owns health from here: NOT_SERVING must not be flipped back
        resolver?.stop();
        await server.shutdown(config.streams.drainTimeoutMs);
        await admin?.close();
        await runtime.close(true);
      })();
      return closing;
    },
  };
}
