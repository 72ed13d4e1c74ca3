/**
 * TlsFiles behind node:https, the way the HTTP front doors use it:
 * `secureContextOptions()` at creation, `setSecureContext()` on change. A
 * rotated certificate reaches new connections; mutual TLS refuses clients
 * without a certificate.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../src/config/tls-schema.js";
import { TlsFiles } from "../../src/server/tls-files.js";
import { createTestPki, type Pem, type TestPki } from "../support/certs.js";
import { issueServerCert, replaceFile } from "../support/cert-rotation.js";

let pki: TestPki;
let dir: string;
let settings: TlsSettings;
let files: TlsFiles;
let server: Server;
let port: number;

beforeAll(async () => {
  pki = createTestPki();
  dir = mkdtempSync(join(tmpdir(), "ollama-grpc-tls-https-"));
  settings = { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), clientCaFile: join(dir, "ca.crt") };
  copyFileSync(pki.server.certFile, settings.certFile);
  copyFileSync(pki.server.keyFile, settings.keyFile);
  copyFileSync(pki.ca.certFile, settings.clientCaFile as string);
  files = TlsFiles.open(settings, { refreshMs: 10 });
  server = createServer(files.secureContextOptions(), (req, res) => {
    res.end((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  files.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

/** GET / on a new connection; resolves with the served certificate's CN and the body (the client's CN). */
function get(client?: Pem): Promise<{ served: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", servername: "localhost", port, path: "/", ca: pki.ca.cert, cert: client?.cert, key: client?.key, agent: false }, (res) => {
      const served = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk)).on("end", () => resolve({ served, body }));
    });
    req.once("error", reject).end();
  });
}

describe("TlsFiles with node:https", () => {
  it("serves with mutual TLS: a client certificate from the CA is required", async () => {
    expect(await get(pki.client("spiffe://cluster.local/ns/a/sa/b"))).toStrictEqual({ served: "server", body: "client1" });
    await expect(get()).rejects.toThrow();
  });

  it("setSecureContext on change: the next connection is served the rotated certificate", async () => {
    const rotated = issueServerCert(pki, "https-rotated");
    const changed = new Promise<void>((resolve) => {
      const unsubscribe = files.onChange(() => {
        server.setSecureContext(files.secureContextOptions());
        unsubscribe();
        resolve();
      });
    });
    replaceFile(settings.keyFile, rotated.key);
    replaceFile(settings.certFile, rotated.cert);
    await changed;
    expect((await get(pki.client("spiffe://cluster.local/ns/a/sa/c"))).served).toBe("https-rotated");
  });
});
