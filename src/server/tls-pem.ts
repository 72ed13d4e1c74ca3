/**
 * Checks that a set of TLS files read from disk is usable before a listener
 * switches to it: every certificate block parses, nothing is cut off (a file
 * caught half-written by a rotation), the key parses and matches the
 * certificate. Node's own `createSecureContext` is not enough on its own: it
 * silently accepts a CA bundle with no certificate in it at all.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { createSecureContext } from "node:tls";

/** The raw contents of the TLS files, as read. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** The client CA bundle; undefined when TLS is not mutual. */
  ca: Buffer | undefined;
}

/** Where each piece came from, for error messages (`tls.cert_file: /etc/tls.crt: ...`). */
export interface TlsMaterialSources {
  cert: string;
  key: string;
  ca: string | undefined;
}

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const BEGIN = /-----BEGIN CERTIFICATE-----/g;

/** Throws an Error whose message names the field and path of the first unusable file. */
export function validateTlsMaterial(material: TlsMaterial, sources: TlsMaterialSources): void {
  const certs = certificates(material.cert, `tls.cert_file: ${sources.cert}`);
  try {
    createPrivateKey(material.key);
  } catch (error) {
    throw new Error(`tls.key_file: ${sources.key}: not a usable PEM private key (${(error as Error).message})`);
  }
  if (material.ca !== undefined) certificates(material.ca, `tls.client_ca_file: ${sources.ca}`);
  try {
    createSecureContext({ cert: material.cert, key: material.key, ca: material.ca });
  } catch (error) {
    const leaf = certs[0] as X509Certificate;
    throw new Error(`tls.cert_file ${sources.cert} and tls.key_file ${sources.key} do not form a pair (certificate ${leaf.subject.replace(/\n/g, ", ")}): ${(error as Error).message}`);
  }
}

/** Every certificate in a PEM bundle; throws when there is none, one does not parse, or one is cut off. */
function certificates(pem: Buffer, where: string): X509Certificate[] {
  const text = pem.toString("latin1");
  const blocks = text.match(BLOCK) ?? [];
  const begun = text.match(BEGIN)?.length ?? 0;
  if (begun !== blocks.length) throw new Error(`${where}: a certificate block is cut off (BEGIN without END; file still being written?)`);
  if (blocks.length === 0) throw new Error(`${where}: no PEM certificate in it (${pem.length} bytes)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${where}: certificate ${i + 1} of ${blocks.length} does not parse: ${(error as Error).message}`);
    }
  });
}
