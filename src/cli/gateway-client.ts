/**
 * The nice-grpc client the CLI uses. Deadlines are enforced by
 * nice-grpc-client-middleware-deadline (a client-side timer that cancels the
 * call, which the gateway turns into an upstream abort), and rich error
 * details are decoded for display.
 *
 * Credentials and TLS come from the environment, so keys never show up in
 * shell history or `ps`:
 * - OLLAMA_GRPC_API_KEY (sent as `x-api-key`) or OLLAMA_GRPC_TOKEN (sent as
 *   `authorization: Bearer ...`);
 * - OLLAMA_GRPC_TLS_CA (PEM file; enables TLS), and for mutual TLS
 *   OLLAMA_GRPC_TLS_CERT and OLLAMA_GRPC_TLS_KEY.
 */
import { readFileSync } from "node:fs";
import { ChannelCredentials } from "@grpc/grpc-js";
import { createChannel, createClientFactory, Metadata, type Channel, type ClientMiddleware } from "nice-grpc";
import { deadlineMiddleware } from "nice-grpc-client-middleware-deadline";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { OllamaServiceDefinition, type OllamaServiceClient } from "../../gen/ollama/v1/ollama.js";

/** A client and the channel to close after use. */
export interface GatewayClient {
  client: OllamaServiceClient<{ deadline?: Date | number }>;
  channel: Channel;
}

/** Connects to a gateway at `target` (HOST:PORT); see the module comment for the environment it reads. */
export function createGatewayClient(target: string, env: NodeJS.ProcessEnv = process.env): GatewayClient {
  const channel = createChannel(target, channelCredentials(env));
  const client = createClientFactory()
    .use(credentialsMiddleware(env))
    .use(errorDetailsClientMiddleware)
    .use(deadlineMiddleware)
    .create(OllamaServiceDefinition, channel);
  return { client, channel };
}

/** TLS credentials from OLLAMA_GRPC_TLS_*, or undefined for plaintext. Throws naming the variable of an unreadable file. */
export function channelCredentials(env: NodeJS.ProcessEnv): ChannelCredentials | undefined {
  const read = (name: string): Buffer | null => {
    const path = env[name];
    if (path === undefined || path === "") return null;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${name}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const ca = read("OLLAMA_GRPC_TLS_CA");
  const cert = read("OLLAMA_GRPC_TLS_CERT");
  const key = read("OLLAMA_GRPC_TLS_KEY");
  if (ca === null && cert === null && key === null) return undefined;
  if ((cert === null) !== (key === null)) throw new Error("OLLAMA_GRPC_TLS_CERT and OLLAMA_GRPC_TLS_KEY go together (mutual TLS)");
  return ChannelCredentials.createSsl(ca, key, cert);
}

/** Adds the credential from OLLAMA_GRPC_API_KEY or OLLAMA_GRPC_TOKEN to every call. */
function credentialsMiddleware(env: NodeJS.ProcessEnv): ClientMiddleware {
  const apiKey = env.OLLAMA_GRPC_API_KEY;
  const token = env.OLLAMA_GRPC_TOKEN;
  const header: [string, string] | undefined =
    apiKey !== undefined && apiKey !== "" ? ["x-api-key", apiKey] : token !== undefined && token !== "" ? ["authorization", `Bearer ${token}`] : undefined;
  return async function* credentials(call, options) {
    if (header === undefined) return yield* call.next(call.request, options);
    const metadata = Metadata(options.metadata).set(header[0], header[1]);
    return yield* call.next(call.request, { ...options, metadata });
  };
}
