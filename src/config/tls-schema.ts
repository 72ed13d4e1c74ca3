/**
 * The `tls` section: TLS for the gRPC listener, optionally mutual (client
 * certificates verified against a CA; their SPIFFE IDs can authenticate, see
 * auth.spiffe). Behind an Istio sidecar, leave it off: the mesh terminates
 * mTLS and forwards the client identity in `x-forwarded-client-cert`.
 */
import { Fields } from "./fields.js";

/** TLS for the gRPC listener (files are read at start-up). */
export interface TlsSettings {
  /** PEM certificate chain of the server. */
  certFile: string;
  /** PEM private key of the server. */
  keyFile: string;
  /** PEM CA bundle client certificates must chain to; when set, every client must present one (mTLS). */
  clientCaFile: string | undefined;
}

const TLS_KEYS = ["cert_file", "key_file", "client_ca_file"];

/** Validates the `tls` section; undefined (or null) means plaintext. */
export function parseTlsConfig(raw: unknown, problem: (text: string) => void): TlsSettings | undefined {
  if (raw === undefined || raw === null) return undefined;
  const p = new Fields(problem);
  const section = p.mapping(raw, "tls");
  p.keys(section, "tls.", TLS_KEYS);
  return {
    certFile: p.text(section.cert_file, "tls.cert_file"),
    keyFile: p.text(section.key_file, "tls.key_file"),
    clientCaFile: section.client_ca_file === undefined ? undefined : p.text(section.client_ca_file, "tls.client_ca_file"),
  };
}
