/**
 * Certificate rotation for TLS reload tests: more server certificates from a
 * TestPki's CA (each with its own serial and CN), and replacing a file the
 * way cert-manager's and SPIFFE helpers' writers do (write aside, rename).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Pem, TestPki } from "./certs.js";

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
let issued = 0;

/**
 * A new server certificate for 127.0.0.1 signed by `pki`'s CA, with subject
 * CN=`cn` and a fresh serial; its files live in the PKI's directory (removed by `pki.cleanup()`).
 */
export function issueServerCert(pki: TestPki, cn: string): Pem {
  const dir = dirname(pki.ca.certFile);
  const name = `rotated-${++issued}`;
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
  writeFileSync(join(dir, `${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl(["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", pki.ca.certFile, "-CAkey", pki.ca.keyFile, "-set_serial", String(5000 + issued),
    "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
  const file = (ext: string) => join(dir, `${name}.${ext}`);
  return { cert: readFileSync(file("crt")), key: readFileSync(file("key")), certFile: file("crt"), keyFile: file("key") };
}

/** Replaces `path` atomically with `contents` (written next to it, then renamed over it). */
export function replaceFile(path: string, contents: Buffer | string): void {
  writeFileSync(`${path}.tmp`, contents);
  renameSync(`${path}.tmp`, path);
}
