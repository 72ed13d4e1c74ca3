/**
 * Composition root: configuration -> Ollama clients -> fleet -> service ->
 * gRPC server. Everything with a lifetime is created here and closed by
 * `close()`.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { packageFile, packageVersion } from "./common/package-files.js";
import type { Config } from "./config/schema.js";
import { OllamaClient } from "./ollama/client.js";
import { startGatewayServer, type GatewayServer } from "./server/grpc-server.js";
import { Fleet } from "./service/fleet.js";
import { createOllamaService } from "./service/ollama-service.js";

/** A running gateway. */
export interface Gateway {
  readonly port: number;
  readonly server: GatewayServer;
  /** Graceful stop (see GatewayServer.shutdown), then closes the backend pools. Idempotent. */
  close(): Promise<void>;
}

/** Starts a gateway for `config`. */
export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const userAgent = `ollama-grpc-gateway/${packageVersion()}`;
  const clients = new Map(
    config.backends.map((backend) => [
      backend.name,
      new OllamaClient(backend.name, backend.url, {
        connections: config.upstream.connections,
        connectTimeoutMs: config.upstream.connectTimeoutMs,
        headersTimeoutMs: config.upstream.firstTokenTimeoutMs,
        bodyTimeoutMs: config.upstream.idleTimeoutMs,
        keepAliveTimeoutMs: config.upstream.keepAliveTimeoutMs,
        userAgent,
      }),
    ]),
  );
  const fleet = new Fleet(config.backends, clients);
  const service = createOllamaService({
    fleet,
    limits: { maxImageBytes: config.limits.maxImageBytes, maxImages: config.limits.maxImages },
    metadataTimeoutMs: config.upstream.metadataTimeoutMs,
    maxEmbedInputs: config.limits.maxEmbedInputs,
    managementEnabled: config.management.enabled,
    gatewayVersion: packageVersion(),
  });
  let server: GatewayServer;
  try {
    server = await startGatewayServer({
      listen: config.listen,
      service,
      logger,
      streamLimits: { maxStreamDurationMs: config.streams.maxStreamDurationMs, maxDeadlineMs: config.streams.maxDeadlineMs },
      maxReceiveMessageBytes: config.limits.maxMessageBytes,
      descriptorSet: config.reflection ? readFileSync(packageFile("gen/descriptor.binpb")) : undefined,
    });
  } catch (error) {
    await fleet.close(true);
    throw error;
  }
  logger.info({ port: server.port, backends: config.backends.map((b) => `${b.name}=${b.url}`) }, "gateway listening");
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    server,
    close() {
      closing ??= (async () => {
        await server.shutdown(config.streams.drainTimeoutMs);
        await fleet.close(true);
      })();
      return closing;
    },
  };
}
