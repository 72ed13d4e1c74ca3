/**
 * The TLS files of a listener (certificate chain, key, optional client CA),
 * kept current: while someone listens, the files are re-read every refresh
 * interval, and a new set that validates becomes current and is announced.
 * A set that cannot be read or does not validate (a rotation caught half
 * way, a corrupt file) is reported and ignored: the last good set keeps
 * serving. Polling contents (not fs.watch) also sees Kubernetes secret
 * volumes, which swap a symlinked directory.
 *
 * One instance can feed several listeners: the gRPC listener through
 * tls-credentials.ts, the HTTPS listener through `secureContextOptions()` +
 * `setSecureContext()` on change. Either way, only new handshakes see a
 * new set; open connections keep the one they negotiated.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { DEFAULT_TLS_REFRESH_MS, type TlsSettings } from "../config/tls-schema.js";
import { validateTlsMaterial, type TlsMaterial, type TlsMaterialSources } from "./tls-pem.js";

export type { TlsMaterial } from "./tls-pem.js";

/** How a TlsFiles is run. */
export interface TlsFilesOptions {
  /** Check interval in ms; overrides `settings.refreshIntervalMs` (tests use a few ms). */
  refreshMs?: number;
  /**
   * A check found the files unreadable or unusable; the previous set stays
   * current. Called once per distinct problem (not on every check), again
   * after the files were good in between.
   */
  onError?(error: Error): void;
  /** A new set became current (after the onChange listeners ran). */
  onReload?(): void;
}

/** Options for `https.createServer` / `tls.createServer`; `setSecureContext` uses the cert/key/ca part. */
export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  /** Client CA bundle; only with mutual TLS. */
  ca?: Buffer;
  /** True with mutual TLS: the server asks every client for a certificate... */
  requestCert: boolean;
  /** ...and refuses the handshake when it is missing or does not chain to `ca`. */
  rejectUnauthorized: boolean;
}

/** The TLS files of a listener; see the module comment. */
export class TlsFiles {
  readonly #sources: TlsMaterialSources;
  readonly #refreshMs: number;
  readonly #options: TlsFilesOptions;
  readonly #listeners = new Set<() => void>();
  #material: TlsMaterial;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<boolean> | undefined;
  #lastProblem: string | undefined;
  #closed = false;

  private constructor(settings: TlsSettings, material: TlsMaterial, options: TlsFilesOptions) {
    this.#sources = { cert: settings.certFile, key: settings.keyFile, ca: settings.clientCaFile };
    this.#refreshMs = options.refreshMs ?? settings.refreshIntervalMs ?? DEFAULT_TLS_REFRESH_MS;
    this.#options = options;
    this.#material = material;
  }

  /**
   * Reads and validates the files now. Throws (for start-up to fail fast) an
   * Error naming the field and path: `tls.cert_file: cannot read /x: ...`.
   * Nothing is polled until the first `onChange` listener.
   */
  static open(settings: TlsSettings, options: TlsFilesOptions = {}): TlsFiles {
    const read = (path: string, field: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (error) {
        throw new Error(`${field}: cannot read ${path}: ${(error as Error).message}`);
      }
    };
    const material: TlsMaterial = {
      cert: read(settings.certFile, "tls.cert_file"),
      key: read(settings.keyFile, "tls.key_file"),
      ca: settings.clientCaFile === undefined ? undefined : read(settings.clientCaFile, "tls.client_ca_file"),
    };
    validateTlsMaterial(material, { cert: settings.certFile, key: settings.keyFile, ca: settings.clientCaFile });
    return new TlsFiles(settings, material, options);
  }

  /** True with a client CA: clients must present a certificate that chains to it. */
  get mutual(): boolean {
    return this.#sources.ca !== undefined;
  }

  /** The current (last good) contents. Never undefined, never invalid. */
  get material(): TlsMaterial {
    return this.#material;
  }

  /** Server options for the current set (a fresh object each call). */
  secureContextOptions(): TlsServerOptions {
    const { cert, key, ca } = this.#material;
    return { cert, key, ...(ca === undefined ? {} : { ca }), requestCert: this.mutual, rejectUnauthorized: this.mutual };
  }

  /**
   * Calls `listener` (never synchronously) each time a new set has become
   * current; returns the unsubscribe function. Files are polled while at
   * least one listener is subscribed. A listener that throws is reported
   * through onError and does not stop the others.
   */
  onChange(listener: () => void): () => void {
    if (this.#closed) return () => {};
    const subscription = () => listener();
    this.#listeners.add(subscription);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.check(), this.#refreshMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(subscription);
      if (this.#listeners.size === 0) this.#stopTimer();
    };
  }

  /**
   * Re-reads the files now (the timer's job; exposed for tests and for a
   * SIGHUP-style trigger). Resolves true when a new set became current.
   * Concurrent calls share one read.
   */
  check(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Stops polling and drops the listeners. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#stopTimer();
  }

  async #check(): Promise<boolean> {
    let next: TlsMaterial;
    try {
      const { cert, key, ca } = this.#sources;
      const [certPem, keyPem, caPem] = await Promise.all([
        readFile(cert).catch((error: Error) => Promise.reject(new Error(`tls.cert_file: cannot read ${cert}: ${error.message}`))),
        readFile(key).catch((error: Error) => Promise.reject(new Error(`tls.key_file: cannot read ${key}: ${error.message}`))),
        ca === undefined ? undefined : readFile(ca).catch((error: Error) => Promise.reject(new Error(`tls.client_ca_file: cannot read ${ca}: ${error.message}`))),
      ]);
      next = { cert: certPem, key: keyPem, ca: caPem };
      if (this.#closed || sameMaterial(next, this.#material)) {
        this.#lastProblem = undefined;
        return false;
      }
      validateTlsMaterial(next, this.#sources);
    } catch (error) {
      this.#report(error as Error);
      return false;
    }
    this.#lastProblem = undefined;
    this.#material = next;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        this.#options.onError?.(error as Error);
      }
    }
    this.#options.onReload?.();
    return true;
  }

  #report(error: Error): void {
    if (this.#closed || error.message === this.#lastProblem) return;
    this.#lastProblem = error.message;
    this.#options.onError?.(error);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && (a.ca === undefined ? b.ca === undefined : b.ca !== undefined && a.ca.equals(b.ca));
}
