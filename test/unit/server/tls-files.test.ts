/**
 * TlsFiles: start-up fails fast naming the field and path; later, only a
 * complete, valid new set replaces the current one, and a bad one is
 * reported once while the last good set keeps serving.
 */
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../../src/config/tls-schema.js";
import { TlsFiles } from "../../../src/server/tls-files.js";
import { createTestPki, type Pem, type TestPki } from "../../support/certs.js";
import { issueServerCert, replaceFile } from "../../support/cert-rotation.js";

let pki: TestPki;
let otherPki: TestPki;
let rotated: Pem;
let dir: string;
let settings: TlsSettings;
const opened: TlsFiles[] = [];

beforeAll(() => {
  pki = createTestPki();
  otherPki = createTestPki();
  rotated = issueServerCert(pki, "rotated");
});
afterAll(() => {
  pki.cleanup();
  otherPki.cleanup();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ollama-grpc-tls-files-"));
  settings = { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), clientCaFile: join(dir, "ca.crt") };
  copyFileSync(pki.server.certFile, settings.certFile);
  copyFileSync(pki.server.keyFile, settings.keyFile);
  copyFileSync(pki.ca.certFile, settings.clientCaFile as string);
});
afterEach(() => {
  for (const files of opened.splice(0)) files.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(errors: Error[] = []): TlsFiles {
  const files = TlsFiles.open(settings, { onError: (error) => errors.push(error) });
  opened.push(files);
  return files;
}
const cn = (files: TlsFiles) => new X509Certificate(files.material.cert).subject;

describe("TlsFiles.open", () => {
  it("returns the files' contents as server options, mutual with a client CA", () => {
    expect(open().secureContextOptions()).toStrictEqual({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
    const plain = TlsFiles.open({ ...settings, clientCaFile: undefined });
    expect(plain.secureContextOptions()).toStrictEqual({ cert: pki.server.cert, key: pki.server.key, requestCert: false, rejectUnauthorized: false });
  });

  it.each([
    { name: "missing certificate", file: "cert", contents: undefined, message: /^tls\.cert_file: cannot read .*tls\.crt: ENOENT/ },
    { name: "missing key", file: "key", contents: undefined, message: /^tls\.key_file: cannot read .*tls\.key: ENOENT/ },
    { name: "missing CA", file: "ca", contents: undefined, message: /^tls\.client_ca_file: cannot read .*ca\.crt: ENOENT/ },
    { name: "certificate that is not PEM", file: "cert", contents: "hello", message: /^tls\.cert_file: .*tls\.crt: no PEM certificate in it/ },
    { name: "certificate cut off", file: "cert", contents: "cut", message: /^tls\.cert_file: .*tls\.crt: a certificate block is cut off/ },
    { name: "key that is not PEM", file: "key", contents: "hello", message: /^tls\.key_file: .*tls\.key: not a usable PEM private key/ },
    { name: "CA without a certificate", file: "ca", contents: "", message: /^tls\.client_ca_file: .*ca\.crt: no PEM certificate in it/ },
    { name: "key of another certificate", file: "key", contents: "other-key", message: /^tls\.cert_file .*tls\.crt and tls\.key_file .*tls\.key do not form a pair/ },
  ])("fails fast on a $name, naming field and path", ({ file, contents, message }) => {
    const path = file === "cert" ? settings.certFile : file === "key" ? settings.keyFile : (settings.clientCaFile as string);
    if (contents === undefined) rmSync(path);
    else if (contents === "cut") writeFileSync(path, pki.server.cert.subarray(0, pki.server.cert.length / 2));
    else if (contents === "other-key") writeFileSync(path, otherPki.server.key);
    else writeFileSync(path, contents);
    expect(() => TlsFiles.open(settings)).toThrow(message);
  });
});

describe("TlsFiles.check", () => {
  it("switches to a new valid set and tells the listeners", async () => {
    const files = open();
    let changes = 0;
    files.onChange(() => (changes += 1));
    expect(await files.check()).toBe(false);
    replaceFile(settings.certFile, rotated.cert);
    replaceFile(settings.keyFile, rotated.key);
    expect(await files.check()).toBe(true);
    expect(changes).toBe(1);
    expect(cn(files)).toBe("CN=rotated");
    expect(await files.check()).toBe(false);
  });

  it("keeps the last good set when the new one is half-written, mismatched or gone, reporting each problem once", async () => {
    const errors: Error[] = [];
    const files = open(errors);
    let changes = 0;
    files.onChange(() => (changes += 1));
    const expectStillServing = async (problem: RegExp) => {
      expect(await files.check()).toBe(false);
      expect(await files.check()).toBe(false);
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(problem)]);
      expect(files.material.cert.equals(pki.server.cert)).toBe(true);
      expect(files.material.key.equals(pki.server.key)).toBe(true);
      errors.length = 0;
    };
    writeFileSync(settings.certFile, rotated.cert.subarray(0, 100));
    await expectStillServing(/tls\.cert_file: .* cut off/);
    replaceFile(settings.certFile, rotated.cert); // the certificate has been renamed into place, the key not yet
    await expectStillServing(/do not form a pair/);
    rmSync(settings.keyFile);
    await expectStillServing(/tls\.key_file: cannot read/);
    replaceFile(settings.keyFile, rotated.key);
    expect(await files.check()).toBe(true);
    expect(errors).toEqual([]);
    expect(changes).toBe(1);
    expect(cn(files)).toBe("CN=rotated");
  });

  it("reloads a new client CA bundle on its own", async () => {
    const files = open();
    replaceFile(settings.clientCaFile as string, Buffer.concat([pki.ca.cert, otherPki.ca.cert]));
    expect(await files.check()).toBe(true);
    expect(files.secureContextOptions().ca?.equals(Buffer.concat([pki.ca.cert, otherPki.ca.cert]))).toBe(true);
  });

  it("a throwing listener is reported and does not stop the others", async () => {
    const errors: Error[] = [];
    const files = open(errors);
    const seen: string[] = [];
    files.onChange(() => {
      throw new Error("listener broke");
    });
    files.onChange(() => seen.push("second"));
    replaceFile(settings.certFile, rotated.cert);
    replaceFile(settings.keyFile, rotated.key);
    await files.check();
    expect(seen).toEqual(["second"]);
    expect(errors.map((e) => e.message)).toEqual(["listener broke"]);
  });
});

describe("TlsFiles polling", () => {
  it("polls while someone listens: a rotation is announced without any explicit check", async () => {
    const files = TlsFiles.open(settings, { refreshMs: 10 });
    opened.push(files);
    const changed = new Promise<void>((resolve) => files.onChange(resolve));
    replaceFile(settings.certFile, rotated.cert);
    replaceFile(settings.keyFile, rotated.key);
    await changed;
    expect(cn(files)).toBe("CN=rotated");
  });

  it("never calls a listener synchronously, nor after it unsubscribed or after close", async () => {
    const files = TlsFiles.open(settings, { refreshMs: 10 });
    let calls = 0;
    const unsubscribe = files.onChange(() => (calls += 1));
    unsubscribe();
    replaceFile(settings.certFile, rotated.cert);
    replaceFile(settings.keyFile, rotated.key);
    await files.check();
    files.close();
    expect(files.onChange(() => (calls += 1))).toBeTypeOf("function");
    await files.check();
    expect(calls).toBe(0);
  });
});
