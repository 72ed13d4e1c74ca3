/**
 * The nice-grpc client the CLI uses. Deadlines are enforced by
 * nice-grpc-client-middleware-deadline (a client-side timer that cancels the
 * call, which the gateway turns into an upstream abort), and rich error
 * details are decoded for display.
 */
import { createChannel, createClientFactory, type Channel } from "nice-grpc";
import { deadlineMiddleware } from "nice-grpc-client-middleware-deadline";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { OllamaServiceDefinition, type OllamaServiceClient } from "../../gen/ollama/v1/ollama.js";

/** A client and the channel to close after use. */
export interface GatewayClient {
  client: OllamaServiceClient<{ deadline?: Date | number }>;
  channel: Channel;
}

/** Connects to a gateway at `target` (HOST:PORT, plaintext). */
export function createGatewayClient(target: string): GatewayClient {
  const channel = createChannel(target);
  const client = createClientFactory()
    .use(errorDetailsClientMiddleware)
    .use(deadlineMiddleware)
    .create(OllamaServiceDefinition, channel);
  return { client, channel };
}
