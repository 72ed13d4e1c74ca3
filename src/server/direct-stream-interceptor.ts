/**
 * Attaches each DirectStream (service/direct-stream.ts) a handler yields to
 * the call: the relay then writes its messages here, each serialized and
 * framed as any message, and the item's own write completes when the relay
 * closes the stream. Any other message passes unchanged.
 *
 * It must be the first interceptor in the server options: grpc-js wraps the
 * base call with the first one, so the relay's per-message writes skip the
 * other interceptors' layers.
 */
import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import { DirectStream } from "../service/direct-stream.js";

class DirectStreamCall extends ServerInterceptingCall {
  override sendMessage(message: unknown, callback: () => void): void {
    if (message instanceof DirectStream) {
      message.attach((each: unknown, written: () => void) => super.sendMessage(each, written), callback);
      return;
    }
    super.sendMessage(message, callback);
  }
}

/** The interceptor; pass it first in the server options' `interceptors`. */
export const directStreamInterceptor: ServerInterceptor = (_method, call) => new DirectStreamCall(call);
