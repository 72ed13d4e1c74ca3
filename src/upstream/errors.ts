/**
 * Why the pool could not hand out an endpoint. Typed values with stable
 * kinds; service/status.ts maps them to gRPC statuses. No gRPC here.
 */

/** Base class of admission failures. */
export abstract class AdmissionError extends Error {
  abstract readonly kind: "no_endpoint" | "model_unavailable" | "queue_full" | "queue_timeout";
  /** A delay after which retrying is sensible, when there is one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = new.target.name;
    this.retryAfterMs = retryAfterMs;
  }
}

/** No endpoint can take the call: none configured, all excluded, or none healthy even in panic mode. */
export class NoEndpointError extends AdmissionError {
  readonly kind = "no_endpoint" as const;
}

/** Every endpoint's catalogue is known and none holds the model. */
export class ModelUnavailableError extends AdmissionError {
  readonly kind = "model_unavailable" as const;
  readonly model: string;
  constructor(model: string) {
    super(`no backend has model '${model}'`);
    this.model = model;
  }
}

/** The gateway queue is full. */
export class QueueFullError extends AdmissionError {
  readonly kind = "queue_full" as const;
}

/** The call waited in the gateway queue for its maximum time. */
export class QueueTimeoutError extends AdmissionError {
  readonly kind = "queue_timeout" as const;
}
