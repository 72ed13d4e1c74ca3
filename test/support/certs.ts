/**
 * A throwaway PKI for TLS tests, made with the openssl CLI (installed by
 * `make deps`): a CA, a server certificate for 127.0.0.1, and client
 * certificates whose URI SAN is a SPIFFE ID, as Istio issues them.
 * Everything lives in a temporary directory removed by `cleanup()`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  ca: Pem;
  server: Pem;
  /** A client certificate for `spiffeId` (any URI SAN, really). */
  client(spiffeId: string): Pem;
  cleanup(): void;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-pki-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
  const pem = (name: string): Pem => ({
    cert: readFileSync(join(dir, `${name}.crt`)),
    key: readFileSync(join(dir, `${name}.key`)),
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
  });
  openssl(["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=ollama-grpc test CA", "-days", "2",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  let serial = 0;
  const leaf = (name: string, extensions: string): Pem => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", String(++serial + 1000),
      "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
    return pem(name);
  };
  const server = leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  let clients = 0;
  return {
    ca: pem("ca"),
    server,
    client: (spiffeId) => leaf(`client${++clients}`, `subjectAltName=URI:${spiffeId}\nextendedKeyUsage=clientAuth\n`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
