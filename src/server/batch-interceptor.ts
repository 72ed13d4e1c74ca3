/**
 * Writes a MessageBatch (service/message-batch.ts) as its separate gRPC
 * messages, each serialized and framed as usual, so callers see one message
 * per token whatever the batching. Any other message passes unchanged.
 *
 * It must be the first interceptor in the server options (grpc-js wraps the
 * base call with the first one), so that the other interceptors' per-message
 * work runs once per batch. The write callback, which drives nice-grpc's
 * back-pressure, fires with the batch's last message.
 */
import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import { MessageBatch } from "../service/message-batch.js";

const ignore = (): void => {};

class BatchWritingCall extends ServerInterceptingCall {
  override sendMessage(message: unknown, callback: () => void): void {
    if (!(message instanceof MessageBatch)) {
      super.sendMessage(message, callback);
      return;
    }
    const messages: readonly unknown[] = message.messages;
    const last = messages.length - 1;
    if (last < 0) {
      callback();
      return;
    }
    for (let i = 0; i < last; i++) super.sendMessage(messages[i], ignore);
    super.sendMessage(messages[last], callback);
  }
}

/** The interceptor; pass it first in the server options' `interceptors`. */
export const batchInterceptor: ServerInterceptor = (_method, call) => new BatchWritingCall(call);
