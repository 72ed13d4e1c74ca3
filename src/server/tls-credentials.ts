/**
 * grpc-js server credentials that follow a TlsFiles: new handshakes use the
 * current certificate, key and client CA; open connections are untouched.
 *
 * Built on grpc-js's certificate-provider credentials with our own provider.
 * grpc-js's FileWatcherCertificateProvider is not used because (grpc-js
 * 1.14, certificate-provider.js / server.js): an unreadable file makes it
 * publish "no certificate", and a file that does not parse makes
 * setSecureContext throw; either way the server then drops every new
 * connection until a later refresh. It also reads the files only after
 * listen, so a bad path would not fail start-up. TlsFiles only ever
 * publishes a validated set.
 */
import { experimental, type ServerCredentials } from "@grpc/grpc-js";
import type { TlsFiles } from "./tls-files.js";

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Credentials for `server.listen`; mutual TLS when `files` has a client CA. */
export function createTlsServerCredentials(files: TlsFiles): ServerCredentials {
  const provider = new TlsFilesCertificateProvider(files);
  // The .d.ts names the first parameter caCertificateProvider, but the implementation passes it on as
  // the identity provider and the second as the CA provider (server-credentials.js, grpc-js 1.14).
  return experimental.createCertificateProviderServerCredentials(provider, files.mutual ? provider : null, files.mutual);
}

/**
 * A CertificateProvider fed by TlsFiles. Listeners get the current set on the
 * next tick (as grpc-js's own provider does: the credentials register their
 * watcher only after subscribing) and every later set; never null.
 */
class TlsFilesCertificateProvider implements experimental.CertificateProvider {
  readonly #files: TlsFiles;
  readonly #ca = new Set<CaListener>();
  readonly #identity = new Set<IdentityListener>();
  #unsubscribe: (() => void) | undefined;

  constructor(files: TlsFiles) {
    this.#files = files;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    this.#start();
    process.nextTick(() => this.#publishCa(listener));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
    this.#maybeStop();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.add(listener);
    this.#start();
    process.nextTick(() => this.#publishIdentity(listener));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
    this.#maybeStop();
  }

  #publishCa(listener: CaListener): void {
    const { ca } = this.#files.material;
    if (this.#ca.has(listener) && ca !== undefined) listener({ caCertificate: ca });
  }

  #publishIdentity(listener: IdentityListener): void {
    const { cert, key } = this.#files.material;
    if (this.#identity.has(listener)) listener({ certificate: cert, privateKey: key });
  }

  #start(): void {
    this.#unsubscribe ??= this.#files.onChange(() => {
      for (const listener of this.#ca) this.#publishCa(listener);
      for (const listener of this.#identity) this.#publishIdentity(listener);
    });
  }

  /** grpc-js removes its listeners when the listening socket closes: stop polling then. */
  #maybeStop(): void {
    if (this.#ca.size > 0 || this.#identity.size > 0) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
