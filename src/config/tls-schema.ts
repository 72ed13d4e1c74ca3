/**
 * The `tls` section: TLS for the gRPC and HTTP listeners, optionally mutual
 * (client certificates verified against a CA; their SPIFFE IDs can
 * authenticate, see auth.spiffe). The files are re-read every
 * `refresh_interval` and a valid new set applies to new connections without a
 * restart (cert-manager, SPIFFE/Istio agents rotate them); see
 * server/tls-files.ts. Behind an Istio sidecar, leave it off: the mesh
 * terminates mTLS and forwards the client identity in `x-forwarded-client-cert`.
 */
import { Fields } from "./fields.js";

/** How often the files are checked for changes when `tls.refresh_interval` is not set. */
export const DEFAULT_TLS_REFRESH_MS = 60_000;

/** TLS for the listeners. The paths are read at start-up; the files' contents reload live. */
export interface TlsSettings {
  /** PEM certificate chain of the server. */
  certFile: string;
  /** PEM private key of the server. */
  keyFile: string;
  /** PEM CA bundle client certificates must chain to; when set, every client must present one (mTLS). */
  clientCaFile: string | undefined;
  /** How often the three files are checked for new contents, in ms; undefined is DEFAULT_TLS_REFRESH_MS. */
  refreshIntervalMs?: number | undefined;
}

const TLS_KEYS = ["cert_file", "key_file", "client_ca_file", "refresh_interval"];

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
    refreshIntervalMs:
      section.refresh_interval === undefined ? DEFAULT_TLS_REFRESH_MS : p.positive(p.duration(section.refresh_interval, "tls.refresh_interval"), "tls.refresh_interval"),
  };
}
