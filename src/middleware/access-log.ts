/**
 * One structured access line per RPC: method, status, duration, time to
 * first message, model, backend, messages out, token counts, peer, request
 * id, and the trace and span id of the RPC's server span when tracing is on.
 * Never the prompt, images, messages or credentials: the log only reads
 * the CallRecord, which holds none of them.
 */
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import type { Logger } from "pino";
import { isAbortError } from "../common/abort.js";
import type { CallRecord, CallRecordContext } from "../service/call-record.js";
import type { CallSummary } from "../observability/metrics.js";
import { activeTraceIds } from "../observability/tracing.js";
import { callerDeadline } from "../server/deadline-interceptor.js";

/** Set by an HTTP front door on the calls it runs; a call without it came in over gRPC. */
export interface DoorContext {
  door: "ollama" | "openai";
}

/**
 * A caller's own deadline timer usually fires a little before ours (its
 * deadline started before the request crossed the network), so its cancel
 * arrives just ahead of our deadline. A cancel this close to the deadline is
 * reported as what it is: the deadline.
 */
const DEADLINE_SLACK_MS = 100;

/** Creates the middleware; it adds a fresh CallRecord to each call's context. `onCallEnd` (metrics) sees every line. */
export function accessLogMiddleware(logger: Logger, onCallEnd?: (line: CallSummary) => void) {
  return async function* accessLog<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, CallRecordContext>,
    context: CallContext,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const startedAt = performance.now();
    const deadline = callerDeadline(context.metadata);
    const deadlineMs = Number.isFinite(deadline) ? Math.max(0, deadline - Date.now()) : undefined;
    const record: CallRecord = { chunksOut: 0 };
    const trace = activeTraceIds(); // the server span of instrumentation-grpc, active around the whole chain
    let code = Status.OK;
    let failure: unknown;
    try {
      return yield* call.next(call.request, { ...context, callRecord: record });
    } catch (error) {
      failure = error;
      code = statusOf(error, deadline);
      throw error;
    } finally {
      // nice-grpc ends a generator with return() when the caller goes away: no error, but not OK either.
      if (failure === undefined && context.signal.aborted) code = abortStatus(deadline);
      const line = {
        method: call.method.path,
        door: (context as Partial<DoorContext>).door ?? "grpc",
        code: Status[code],
        durationMs: round(performance.now() - startedAt),
        deadlineMs,
        ttftMs: record.firstChunkAt === undefined ? undefined : round(record.firstChunkAt - startedAt),
        model: record.model,
        backend: record.backend,
        chunksOut: record.chunksOut,
        doneReason: record.doneReason,
        promptTokens: record.promptTokens,
        completionTokens: record.completionTokens,
        errorReason: record.errorReason,
        retries: record.retries,
        queueWaitMs: record.queueWaitMs === undefined ? undefined : round(record.queueWaitMs),
        principal: record.principal,
        tenant: record.tenant,
        authFailure: record.authFailure,
        peer: context.peer,
        requestId: firstString(context.metadata.get("x-request-id")),
        traceId: trace?.traceId,
        spanId: trace?.spanId,
      };
      onCallEnd?.(line);
      if (code === Status.OK || code === Status.CANCELLED || code === Status.INVALID_ARGUMENT || code === Status.NOT_FOUND) {
        logger.info(line, "rpc");
      } else if (code === Status.UNKNOWN) {
        logger.error({ ...line, err: failure }, "rpc");
      } else {
        logger.warn({ ...line, message: failure instanceof ServerError ? failure.details : undefined }, "rpc");
      }
    }
  };
}

/** The status a thrown value will produce; an abort after the caller's deadline is DEADLINE_EXCEEDED. */
function statusOf(error: unknown, deadline: number): Status {
  if (error instanceof ServerError) return error.code;
  return isAbortError(error) ? abortStatus(deadline) : Status.UNKNOWN;
}

function abortStatus(deadline: number): Status {
  return Date.now() >= deadline - DEADLINE_SLACK_MS ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
}

function firstString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
