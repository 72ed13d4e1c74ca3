/**
 * The root pino logger: JSON lines, one `service` binding, and redaction of
 * anything that could carry credentials should it ever be logged by mistake.
 */
import { pino, type DestinationStream, type Logger } from "pino";

/** Creates the root logger. `destination` defaults to stdout (tests pass an in-memory sink). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "ollama-grpc-gateway" },
      redact: {
        paths: ["authorization", "*.authorization", "metadata", "*.metadata", "headers.authorization", "apiKey", "*.apiKey"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
