/**
 * Exposes the caller's gRPC deadline to handlers. grpc-js parses
 * `grpc-timeout` and strips it from the metadata it hands on, and nice-grpc's
 * CallContext has no deadline field, so this grpc-js server interceptor
 * copies `call.getDeadline()` (absolute epoch ms) into a private metadata key.
 * Any client-sent value of that key is removed first, so it cannot be forged.
 */
import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";

/** Private metadata key holding the caller's absolute deadline in epoch ms. */
export const DEADLINE_METADATA_KEY = "x-ollama-grpc-deadline-ms";

/** The interceptor; pass it in the server options' `interceptors`. */
export const deadlineInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          metadata.remove(DEADLINE_METADATA_KEY);
          const deadline = call.getDeadline();
          const epochMs = deadline instanceof Date ? deadline.getTime() : deadline;
          if (Number.isFinite(epochMs)) metadata.set(DEADLINE_METADATA_KEY, String(epochMs));
          nextMetadata(metadata);
        },
      });
    },
  });

/** Reads the deadline the interceptor recorded: epoch ms, or Infinity when the caller set none. */
export function callerDeadline(metadata: { get(key: string): unknown }): number {
  const value = metadata.get(DEADLINE_METADATA_KEY);
  const epochMs = typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(epochMs) ? epochMs : Number.POSITIVE_INFINITY;
}
