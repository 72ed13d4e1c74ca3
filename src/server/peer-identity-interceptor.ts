/**
 * Exposes the SPIFFE ID of a verified TLS client certificate to handlers.
 * nice-grpc's CallContext carries no transport details, so this grpc-js
 * server interceptor reads `call.getAuthContext()` (only certificates the
 * TLS handshake verified against the client CA appear there) and copies the
 * ID into a private metadata key. Any client-sent value of that key is
 * removed first, so it cannot be forged.
 */
import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import { PEER_SPIFFE_METADATA_KEY } from "../auth/authenticator.js";
import { spiffeIdsOfSan } from "../auth/spiffe.js";

/** The interceptor; pass it in the server options' `interceptors`. */
export const peerIdentityInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          metadata.remove(PEER_SPIFFE_METADATA_KEY);
          const ids = spiffeIdsOfSan(call.getAuthContext().sslPeerCertificate?.subjectaltname);
          // An SVID has exactly one SPIFFE ID; a certificate with several identifies no one.
          if (ids.length === 1) metadata.set(PEER_SPIFFE_METADATA_KEY, ids[0] as string);
          nextMetadata(metadata);
        },
      });
    },
  });
