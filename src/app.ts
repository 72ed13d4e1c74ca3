/**
 * Composition root: configuration -> fleet (clients, pool, health, outlier
 * detection, catalogue) -> service -> gRPC server, and the admin endpoint.
 * Everything with a lifetime is created here and closed by `close()`.
 */
import { readFileSync } from "node:fs";
import type { TlsSettings } from "./config/tls-schema.js";
import type { Logger } from "pino";
import { Authenticator } from "./auth/authenticator.js";
import { packageFile, packageVersion } from "./common/package-files.js";
import type { Config } from "./config/schema.js";
import { settingsNeedingRestart } from "./config/watch.js";
import { startAdminServer, type AdminServer } from "./server/admin-server.js";
import { FleetHealthPublisher } from "./server/fleet-health.js";
import { GatewayMetrics } from "./observability/metrics.js";
import { modelKey } from "./ollama/model-name.js";
import { startGatewayServer, type GatewayServer } from "./server/grpc-server.js";
import { ollamaServiceMiddleware, type CallChainOptions } from "./server/call-chain.js";
import { Terminator } from "./middleware/terminator.js";
import { CallInvoker } from "./http/call-invoker.js";
import { startFrontDoor, type FrontDoorServer } from "./http/front-door-server.js";
import { ollamaRoutes } from "./http/ollama-door.js";
import { openAiRoutes } from "./http/openai-door.js";
import { createTlsServerCredentials } from "./server/tls-credentials.js";
import { TlsFiles } from "./server/tls-files.js";
import { createFleet, type FleetRuntime } from "./service/create-fleet.js";
import { ClusterRouter, type Cluster } from "./service/cluster-router.js";
import { createResolver } from "./service/discovery.js";
import { RetryBudget } from "./upstream/retry-budget.js";
import { systemClock } from "./upstream/types.js";
import { createOllamaService } from "./service/ollama-service.js";
import { createQuotaRuntime, type QuotaRuntime } from "./quota/create-enforcer.js";

/** A running gateway. */
export interface Gateway {
  readonly port: number;
  /** The HTTP front doors' port, when `http.listen` is set. */
  readonly httpPort: number | undefined;
  /** The admin HTTP port, when the admin endpoint is enabled. */
  readonly adminPort: number | undefined;
  readonly server: GatewayServer;
  /** The first cluster's fleet (the only cluster unless `clusters` is configured). */
  readonly fleet: FleetRuntime;
  /** Every cluster, in configuration order. */
  readonly clusters: readonly Cluster[];
  /** The Prometheus metrics (also served at the admin endpoint's /metrics). */
  readonly metrics: GatewayMetrics;
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
export async function startGateway(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Gateway> {
  // Before anything with a lifetime exists: an unset JWT secret or unreadable JWKS file fails start-up here.
  const auth = config.auth.enabled ? { authenticator: await Authenticator.create(config.auth, { env }), settings: config.auth } : undefined;
  if (auth === undefined) {
    logger.warn(
      { listen: config.listen, managementEnabled: config.management.enabled },
      `AUTHENTICATION IS DISABLED: anyone who can reach ${config.listen} may use every model` +
        (config.management.enabled ? " and every management call (pull, delete, copy, load, unload)" : "") +
        "; set auth.enabled: true unless this is local use",
    );
  } else {
    logger.info(
      {
        apiKeys: config.auth.apiKeys.length,
        jwt: config.auth.jwt?.key.type ?? "off",
        openMethods: config.auth.openMethods,
        openHealth: config.auth.openHealth,
        openReflection: config.auth.openReflection,
      },
      "authentication enabled",
    );
  }
  // One set of TLS files for both listeners: one poller, one reload, the same certificate on gRPC and HTTP.
  const tlsFiles = config.tls === undefined ? undefined : openTlsFiles(config.tls, logger);
  const credentials = tlsFiles === undefined ? undefined : createTlsServerCredentials(tlsFiles);
  const metrics = new GatewayMetrics();
  const quotas = await startQuotas(config, env, logger, metrics);
  const clientOptions = {
    connections: config.upstream.connections,
    connectTimeoutMs: config.upstream.connectTimeoutMs,
    headersTimeoutMs: config.upstream.firstTokenTimeoutMs,
    bodyTimeoutMs: config.upstream.idleTimeoutMs,
    keepAliveTimeoutMs: config.upstream.keepAliveTimeoutMs,
    userAgent: `ollama-grpc-gateway/${packageVersion()}`,
  };
  // One runtime (pool, policy, health, catalogue) per cluster. With DNS or xDS a cluster starts
  // empty; calls wait (bounded by the queue) for the first answer.
  const clusters: Cluster[] = config.clusters.map((cluster) => ({
    name: cluster.name,
    models: cluster.models,
    runtime: createFleet(
      {
        ...config,
        backends: cluster.discovery.type === "static" ? cluster.backends : [],
        discovery: cluster.discovery,
        balancing: { ...config.balancing, policy: cluster.policy, policyConfig: cluster.policyConfig },
      },
      clientOptions,
    ),
  }));
  const resolvers = config.clusters.flatMap((cluster, i) => {
    const resolver = createResolver({ ...config, discovery: cluster.discovery }, systemClock);
    const runtime = (clusters[i] as Cluster).runtime;
    resolver?.start({
      onEndpoints: (endpoints) => {
        logger.info({ cluster: cluster.name, discovery: cluster.discovery.type, endpoints: endpoints.map((e) => `${e.name}=${e.url}`) }, "endpoints discovered");
        runtime.setEndpoints(endpoints);
      },
      onError: (error) => logger.warn({ cluster: cluster.name, discovery: cluster.discovery.type, err: error }, "endpoint discovery failed; keeping the last endpoints"),
    });
    return resolver === undefined ? [] : [resolver];
  });
  const closeFleets = async () => {
    for (const resolver of resolvers) resolver.stop();
    await Promise.all(clusters.map((c) => c.runtime.close(true)));
    await quotas?.close();
  };
  const firstCatalogue = Promise.all(clusters.map((c) => c.runtime.poller.start()));
  await Promise.race([firstCatalogue, new Promise((resolve) => setTimeout(resolve, FIRST_CATALOGUE_WAIT_MS).unref())]);
  const router = new ClusterRouter(clusters, new RetryBudget(config.retry.budgetPercent, config.retry.minRetries));
  metrics.bindClusters(
    clusters.map((c) => ({
      name: c.name,
      endpoints: () => c.runtime.fleet.pool.endpoints(),
      queueLength: () => c.runtime.fleet.pool.queueLength,
      ejections: (backend: string) => c.runtime.ejections(backend),
    })),
  );
  const service = createOllamaService({
    fleet: router,
    limits: { maxImageBytes: config.limits.maxImageBytes, maxImages: config.limits.maxImages },
    metadataTimeoutMs: config.upstream.metadataTimeoutMs,
    maxEmbedInputs: config.limits.maxEmbedInputs,
    managementEnabled: config.management.enabled,
    gatewayVersion: packageVersion(),
    retry: { ...config.retry, random: Math.random },
    affinityMetadata: config.balancing.affinityMetadata,
    priorityMetadata: config.balancing.priorityMetadata,
    onFleetChanged: (backends) => {
      for (const cluster of clusters) void cluster.runtime.poller.refresh(backends);
    },
  });
  let server: GatewayServer;
  let http: FrontDoorServer | undefined;
  let admin: AdminServer | undefined;
  let stopHealth = (): void => {};
  let listening: GatewayServer | undefined;
  // One chain definition for both doors; one terminator, so one shutdown drains gRPC and HTTP calls alike.
  const chain: CallChainOptions = {
    logger,
    streamLimits: { maxStreamDurationMs: config.streams.maxStreamDurationMs, maxDeadlineMs: config.streams.maxDeadlineMs },
    auth,
    quotas: quotas === undefined ? undefined : { enforcer: quotas.enforcer, onRejected: (principal, limit) => metrics.quotaRejected(principal.name, limit.kind) },
    // Model labels use the normalized name, so "llama3.2" and "llama3.2:latest" are one series.
    onCallEnd: (summary) => metrics.observeCall({ ...summary, model: summary.model === undefined ? undefined : modelKey(summary.model) }),
    maxSendMessageBytes: config.transport.maxSendMessageBytes,
  };
  const terminator = new Terminator();
  try {
    listening = server = await startGatewayServer({
      ...chain,
      terminator,
      listen: config.listen,
      service,
      maxReceiveMessageBytes: config.limits.maxMessageBytes,
      transport: config.transport,
      descriptorSet: config.reflection ? readFileSync(packageFile("gen/descriptor.binpb")) : undefined,
      credentials,
    });
    if (config.http.listen !== "") {
      const invoker = new CallInvoker(service, terminator, ollamaServiceMiddleware(chain, "http"));
      http = await startFrontDoor({
        listen: config.http.listen,
        routes: [...(config.http.ollamaApi ? ollamaRoutes(invoker) : []), ...(config.http.openaiApi ? openAiRoutes(invoker) : [])],
        logger,
        // Images travel base64 in JSON: 4/3 of their bytes, plus the rest of the request.
        maxBodyBytes: Math.ceil((config.limits.maxMessageBytes * 4) / 3),
        tls: tlsFiles,
      });
    }
    const fleetHealth = new FleetHealthPublisher(server.health);
    const publish = () => fleetHealth.publish(clusters.flatMap((c) => c.runtime.fleet.pool.endpoints()));
    for (const cluster of clusters) cluster.runtime.onChange(publish);
    publish();
    stopHealth = () => fleetHealth.stop();
    if (config.admin.listen !== "") {
      admin = await startAdminServer(config.admin.listen, () => ({
        gateway: { version: packageVersion(), port: server.port, httpPort: http?.port },
        clusters: clusters.map((c) => ({ name: c.name, models: c.models, ...c.runtime.status() })),
        retries: router.retryBudget.snapshot(),
      }), () => metrics.scrape());
    }
  } catch (error) {
    // A later step failed (say, the admin port is taken): stop listening before giving up.
    await http?.close(0);
    await listening?.shutdown(0);
    tlsFiles?.close();
    await closeFleets();
    throw error;
  }
  logger.info(
    {
      port: server.port,
      httpPort: http?.port,
      adminPort: admin?.port,
      tls: config.tls === undefined ? "off" : config.tls.clientCaFile === undefined ? "on" : "mutual",
      clusters: config.clusters.map((c) => `${c.name}(${c.policy}): ${c.discovery.type === "static" ? c.backends.map((b) => `${b.name}=${b.url}`).join(",") : c.discovery.type}`),
    },
    "gateway listening",
  );
  let closing: Promise<void> | undefined;
  let current = config;
  return {
    port: server.port,
    httpPort: http?.port,
    adminPort: admin?.port,
    server,
    fleet: (clusters[0] as Cluster).runtime,
    clusters,
    metrics,
    reload(next) {
      const pending = settingsNeedingRestart(current, next);
      for (const cluster of next.clusters) {
        const index = config.clusters.findIndex((c) => c.name === cluster.name);
        // With DNS or xDS the resolver owns the list; a cluster added or removed needs a restart.
        if (index >= 0 && config.clusters[index]!.discovery.type === "static") (clusters[index] as Cluster).runtime.setEndpoints(cluster.backends);
      }
      current = { ...current, backends: next.backends, clusters: next.clusters };
      logger.info({ clusters: next.clusters.map((c) => `${c.name}: ${c.backends.map((b) => `${b.name}=${b.url}`).join(",")}`), needRestart: pending }, "configuration reloaded");
      return pending;
    },
    close() {
      closing ??= (async () => {
        stopHealth(); // shutdown owns health from here: NOT_SERVING must not be flipped back
        // Both listeners stop accepting at once and drain together; the gRPC drain aborts whatever is left, HTTP calls included.
        await Promise.all([server.shutdown(config.streams.drainTimeoutMs), http?.close(config.streams.drainTimeoutMs)]);
        await admin?.close();
        tlsFiles?.close();
        await closeFleets();
      })();
      return closing;
    },
  };
}

/** Minimum time between two log lines about quota store failures. */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

/** The quota runtime, or undefined when no limit is configured; logs what it does. */
async function startQuotas(config: Config, env: NodeJS.ProcessEnv, logger: Logger, metrics: GatewayMetrics): Promise<QuotaRuntime | undefined> {
  const settings = config.quotas;
  let lastLoggedAt = -Infinity;
  let suppressed = 0;
  const principalLimits = [...config.auth.apiKeys, ...(config.auth.spiffe?.ids ?? [])].map((entry) => entry.limits);
  const runtime = await createQuotaRuntime(settings, principalLimits, env, {
    onStoreError(operation, error) {
      metrics.quotaStoreError(operation);
      const now = Date.now();
      if (now - lastLoggedAt < STORE_ERROR_LOG_INTERVAL_MS) {
        suppressed += 1;
        return;
      }
      logger.warn({ operation, policy: settings.onStoreError, err: error, suppressed }, `quota store failed: calls are ${settings.onStoreError === "open" ? "admitted unmetered" : "rejected"} (fail-${settings.onStoreError})`);
      lastLoggedAt = now;
      suppressed = 0;
    },
    onConnectionLost: (error) => logger.warn({ err: error }, "quota store (redis) connection lost; reconnecting"),
    onConnectionRestored: () => logger.info("quota store (redis) connection restored"),
  });
  if (runtime === undefined) return undefined;
  logger.info(
    { store: runtime.store, onStoreError: settings.onStoreError, perModelRules: settings.perModel.length, connected: runtime.connected },
    runtime.connected ? "quotas enabled" : `quotas enabled, but the quota store is not reachable yet (fail-${settings.onStoreError} until it is)`,
  );
  return runtime;
}

/**
 * The TLS files of both listeners. A file that cannot be read or is not
 * valid PEM fails start-up with its field and path; later, new file contents
 * apply to new connections (checked every tls.refresh_interval), and a bad
 * set is logged and ignored (the last good one keeps serving).
 */
function openTlsFiles(tls: TlsSettings, logger: Logger): TlsFiles {
  return TlsFiles.open(tls, {
    onError: (error) => logger.warn({ err: error }, "tls: new certificate files are not usable; still serving the previous ones"),
    onReload: () => logger.info({ certFile: tls.certFile, clientCaFile: tls.clientCaFile }, "tls: certificate files reloaded; new connections use them"),
  });
}
