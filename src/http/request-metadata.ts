/**
 * HTTP request -> the call metadata a gRPC caller would have sent. Headers
 * become metadata entries (so `authorization`, `x-api-key`, `x-session-id`,
 * `x-priority`, `x-request-id` and `traceparent` work on both doors), minus
 * HTTP/1.1 connection headers and the gateway's private keys, which only
 * the gateway itself may set: a verified client certificate's SPIFFE ID is
 * added here from the TLS socket, as peer-identity-interceptor.ts does for
 * gRPC.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { Metadata } from "nice-grpc-common";
import { PEER_SPIFFE_METADATA_KEY } from "../auth/authenticator.js";
import { spiffeIdsOfSan } from "../auth/spiffe.js";

/** Headers that describe the HTTP connection or body, not the call. */
const NOT_METADATA = new Set([
  "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect",
  "content-length", "content-type", "content-encoding", "accept", "accept-encoding", "user-agent",
]);

/** Prefix of every metadata key the gateway sets for itself (deadline, peer identity). */
const PRIVATE_PREFIX = "x-ollama-grpc-";

/** The metadata of an HTTP request. */
export function requestMetadata(req: IncomingMessage): Metadata {
  const metadata = Metadata();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = (raw[i] as string).toLowerCase();
    // Binary (-bin) values are base64 in gRPC; an HTTP client has no reason to send them.
    if (NOT_METADATA.has(key) || key.startsWith(PRIVATE_PREFIX) || key.startsWith(":") || key.endsWith("-bin")) continue;
    metadata.append(key, raw[i + 1] as string);
  }
  const spiffe = peerSpiffeId(req);
  if (spiffe !== undefined) metadata.set(PEER_SPIFFE_METADATA_KEY, spiffe);
  return metadata;
}

/** The SPIFFE ID of a client certificate the TLS handshake verified, if it names exactly one. */
function peerSpiffeId(req: IncomingMessage): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || socket.getPeerCertificate === undefined) return undefined;
  const ids = spiffeIdsOfSan(socket.getPeerCertificate().subjectaltname);
  return ids.length === 1 ? ids[0] : undefined;
}

/** The client's address in grpc-js's peer form, so access-log lines look alike on both doors. */
export function peerOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "unknown";
  const port = req.socket.remotePort ?? 0;
  return address.includes(":") ? `ipv6:[${address}]:${port}` : `ipv4:${address}:${port}`;
}
