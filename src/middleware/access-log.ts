/**
 * One structured access line per RPC: method, status, duration, time to
 * first message, model, backend, messages out, token counts, peer and request
 * id. Never the prompt, images, messages or credentials: the log only reads
 * the CallRecord, which holds none of them.
 */
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import type { Logger } from "pino";
import { isAbortError } from "../common/abort.js";
import type { CallRecord, CallRecordContext } from "../service/call-record.js";
import { callerDeadline } from "../server/deadline-interceptor.js";

/** Creates the middleware; it adds a fresh CallRecord to each call's context. */
export function accessLogMiddleware(logger: Logger) {
  return async function* accessLog<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, CallRecordContext>,
    context: CallContext,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const startedAt = performance.now();
    const deadline = callerDeadline(context.metadata);
    const record: CallRecord = { chunksOut: 0 };
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
      if (failure === undefined && context.signal.aborted) code = Date.now() >= deadline ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
      const line = {
        method: call.method.path,
        code: Status[code],
        durationMs: round(performance.now() - startedAt),
        ttftMs: record.firstChunkAt === undefined ? undefined : round(record.firstChunkAt - startedAt),
        model: record.model,
        backend: record.backend,
        chunksOut: record.chunksOut,
        doneReason: record.doneReason,
        promptTokens: record.promptTokens,
        completionTokens: record.completionTokens,
        errorReason: record.errorReason,
        peer: context.peer,
        requestId: firstString(context.metadata.get("x-request-id")),
      };
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
  if (isAbortError(error)) {
    return Date.now() >= deadline ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
  }
  return Status.UNKNOWN;
}

function firstString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
