/** `ollama-grpc serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits. */
import { startGateway, type Gateway } from "../app.js";
import { loadConfig, type ConfigOverrides } from "../config/load.js";
import { watchConfigFile } from "../config/watch.js";
import { DEFAULTS, type Config } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { shutdownTracing, tracingStatus } from "../observability/tracing-sdk.js";
import { ExitCode, parseCommandArgs } from "./usage.js";
import { stringify as toYaml } from "yaml";
import type { Logger } from "pino";

export const SERVE_HELP = `Usage: ollama-grpc serve [options]

Runs the gRPC gateway in front of one or more Ollama servers.

Options:
  --config FILE              YAML configuration file (env OLLAMA_GRPC_CONFIG)
  --listen HOST:PORT         address to listen on (default ${DEFAULTS.listen})
  --backend [NAME=]URL       an Ollama backend; repeat for several (default ${DEFAULTS.backends[0].url})
  --log-level LEVEL          trace|debug|info|warn|error|fatal|silent (default info)
  --max-stream-duration DUR  cap on every stream, e.g. 10m (default 0 = none)
  --drain-timeout DUR        time in-flight streams get on shutdown (default ${DEFAULTS.streams.drain_timeout})
  --enable-management        allow PullModel, DeleteModel, CopyModel, LoadModel, UnloadModel (env OLLAMA_GRPC_MANAGEMENT)
  --policy NAME              load-balancing policy: ollama (default), round_robin, least_request, ring_hash, random
  --admin-listen HOST:PORT   admin HTTP endpoint (/status) (default ${DEFAULTS.admin.listen}; "" disables)
  --http-listen HOST:PORT    Ollama- and OpenAI-compatible HTTP API, e.g. 0.0.0.0:11434 (default off)
  --print-config             print the effective configuration as YAML and exit
  -h, --help                 show this help

Precedence: flags > OLLAMA_GRPC_* environment > config file > defaults.
Tracing (OpenTelemetry) is off unless the standard OTEL_* variables enable it,
e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317 (see the README).
SIGTERM or SIGINT drains in-flight streams, then exits 0; a second signal exits at once.
The config file is watched: backend changes apply at once (removed backends drain);
other changed settings are reported and take effect on restart.`;

/** Runs the command; resolves with the exit code. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string" },
    listen: { type: "string" },
    backend: { type: "string", multiple: true },
    "log-level": { type: "string" },
    "max-stream-duration": { type: "string" },
    "drain-timeout": { type: "string" },
    "print-config": { type: "boolean" },
    "enable-management": { type: "boolean" },
    policy: { type: "string" },
    "admin-listen": { type: "string" },
    "http-listen": { type: "string" },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return ExitCode.OK;
  }
  const overrides = {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values.backend !== undefined && { backends: values.backend }),
    ...(values["log-level"] !== undefined && { logLevel: values["log-level"] }),
    ...(values["max-stream-duration"] !== undefined && { maxStreamDuration: values["max-stream-duration"] }),
    ...(values["drain-timeout"] !== undefined && { drainTimeout: values["drain-timeout"] }),
    ...(values["enable-management"] !== undefined && { enableManagement: values["enable-management"] }),
    ...(values.policy !== undefined && { policy: values.policy }),
    ...(values["admin-listen"] !== undefined && { adminListen: values["admin-listen"] }),
    ...(values["http-listen"] !== undefined && { httpListen: values["http-listen"] }),
  };
  const config = loadConfig(overrides);
  if (values["print-config"]) {
    console.log(toYaml(redacted(config)));
    return ExitCode.OK;
  }
  const logger = createLogger(config.log.level);
  logTracing(logger);
  // Signal handlers go in before start-up: a SIGTERM that arrives while the gateway starts (or right
  // after it logs "gateway listening") must drain it, not kill the process with the default action.
  let early: NodeJS.Signals | undefined;
  let onSignal = (signal: NodeJS.Signals): void => {
    early ??= signal;
  };
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  try {
    return await serveUntilSignal(config, overrides, logger, (next) => {
      onSignal = next;
      if (early !== undefined) next(early);
    });
  } finally {
    process.off("SIGTERM", handler);
    process.off("SIGINT", handler);
  }
}

/** Starts the gateway and resolves with the exit code once a signal has stopped it. */
async function serveUntilSignal(
  config: Config,
  overrides: ConfigOverrides,
  logger: Logger,
  onSignals: (handler: (signal: NodeJS.Signals) => void) => void,
): Promise<number> {
  const gateway = await startGateway(config, logger);
  const file = overrides.config ?? process.env.OLLAMA_GRPC_CONFIG;
  const watcher =
    file === undefined || file === ""
      ? undefined
      : watchConfigFile(
          file,
          () => loadConfig(overrides),
          (next) => {
            const pending = gateway.reload(next);
            if (pending.length > 0) logger.warn({ settings: pending }, "these settings changed in the file and take effect on restart");
          },
          (error) => logger.error({ err: error }, "configuration file changed but is invalid; keeping the running configuration"),
        );
  return await new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting without draining");
        resolve(ExitCode.FAILURE);
        return;
      }
      logger.info({ signal }, "signal received: shutting down");
      watcher?.close();
      void stopGateway(gateway, logger).then(resolve);
    };
    onSignals(onSignal);
  });
}

/** The configuration with secrets masked: a Redis URL's password. */
function redacted(config: Config): Config {
  const url = config.quotas.redis.url;
  if (url === undefined) return config;
  const parsed = new URL(url);
  if (parsed.password === "") return config;
  parsed.password = "redacted";
  return { ...config, quotas: { ...config.quotas, redis: { ...config.quotas.redis, url: parsed.href } } };
}

/** Drains the gateway, then flushes the last spans (bounded by TRACING_SHUTDOWN_TIMEOUT_MS); resolves with the exit code. */
async function stopGateway(gateway: Gateway, logger: Logger): Promise<number> {
  let code: number = ExitCode.OK;
  try {
    await gateway.close();
  } catch (error) {
    logger.error({ err: error }, "shutdown failed");
    code = ExitCode.FAILURE;
  }
  // After the drain, so the spans of the last calls are in the final export.
  const flushed = await shutdownTracing();
  if (flushed === "timed_out" || flushed === "failed") logger.warn({ result: flushed }, "tracing: the final span export did not complete");
  return code;
}

/** One start-up line about tracing (started by bin/ollama-grpc.js before the CLI loaded). */
function logTracing(logger: Logger): void {
  const tracing = tracingStatus();
  if (tracing === undefined) return;
  for (const warning of tracing.warnings) logger.warn({ warning }, "tracing: ignored setting");
  if (tracing.enabled) {
    const { exporters, protocol, serviceName, propagators, sampler } = tracing;
    logger.info({ exporters, protocol: exporters.includes("otlp") ? protocol : undefined, serviceName, propagators, sampler, reason: tracing.reason }, "tracing enabled");
  } else {
    logger.info({ reason: tracing.reason }, "tracing off");
  }
}
