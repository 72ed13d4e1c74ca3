/**
 * TLS and mutual TLS on the gRPC listener with file reload: a rotated
 * certificate, key or client CA applies to new handshakes without a restart,
 * and a corrupt replacement never takes the listener down (the last good
 * set keeps serving). Reload points are observed through the gateway's log
 * lines, never waited for with sleeps.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type PeerCertificate } from "node:tls";
import { ChannelCredentials } from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClientFactory, Status, type Channel } from "nice-grpc";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import type { TlsSettings } from "../../src/config/tls-schema.js";
import { createTestPki, type Pem, type TestPki } from "../support/certs.js";
import { issueServerCert, replaceFile } from "../support/cert-rotation.js";
import { EventWaits } from "../support/event-waits.js";
import { expectStatus } from "../support/errors.js";
import { caught, startTestFleet, startTestGateway, type TestFleet } from "../support/harness.js";

const RELOADED = "tls: certificate files reloaded; new connections use them";
const REJECTED = "tls: new certificate files are not usable; still serving the previous ones";

let pki: TestPki;
let newPki: TestPki;
let dir: string;
const channels: Channel[] = [];

beforeAll(() => {
  pki = createTestPki();
  newPki = createTestPki();
});
afterAll(() => {
  pki.cleanup();
  newPki.cleanup();
});
afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
});

/** Copies of the PKI's server files, so the test can rotate them; checked every 20 ms. */
function workingFiles(mutual: boolean): Required<TlsSettings> {
  dir = mkdtempSync(join(tmpdir(), "ollama-grpc-tls-reload-"));
  const settings = { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), clientCaFile: join(dir, "ca.crt"), refreshIntervalMs: 20 };
  copyFileSync(pki.server.certFile, settings.certFile);
  copyFileSync(pki.server.keyFile, settings.keyFile);
  copyFileSync(pki.ca.certFile, settings.clientCaFile);
  return mutual ? settings : { ...settings, clientCaFile: undefined as unknown as string };
}

/** Starts a fleet whose log lines can be awaited: `logged(msg)` resolves on the next line with that message. */
async function startWatchedFleet(tls: TlsSettings) {
  const fleet = await startTestFleet({ tokens: 2 }, (config) => {
    config.tls = tls;
  });
  const waits = new EventWaits(10_000, "tls reload: ");
  const write = fleet.logs.write.bind(fleet.logs);
  fleet.logs.write = (line) => {
    write(line);
    waits.notify();
  };
  /** The next log line with `msg` written after this call. */
  const logged = (msg: string) => {
    const from = fleet.logs.records.length;
    return () => waits.until(msg, () => fleet.logs.records.slice(from).find((r) => r.msg === msg));
  };
  return { fleet, logged };
}

/** The certificate a new TLS connection (ALPN h2, as gRPC clients) is served. */
function servedCertificate(port: number, client?: Pem): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", servername: "localhost", port, ca: [pki.ca.cert], ALPNProtocols: ["h2"], cert: client?.cert, key: client?.key }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

function clientOf(fleet: TestFleet, client?: Pem) {
  const channel = createChannel(fleet.target, ChannelCredentials.createSsl(pki.ca.cert, client?.key ?? null, client?.cert ?? null));
  channels.push(channel);
  return createClientFactory().create(OllamaServiceDefinition, channel);
}

describe("TLS: the server certificate reloads for new connections", () => {
  let fleet: TestFleet;
  let logged: (msg: string) => () => Promise<Record<string, unknown>>;
  let tls: Required<TlsSettings>;

  beforeAll(async () => {
    tls = workingFiles(false);
    ({ fleet, logged } = await startWatchedFleet(tls));
  });
  afterAll(async () => {
    await fleet?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the configured certificate to a client that trusts the CA", async () => {
    expect((await clientOf(fleet).getVersion({})).gatewayVersion).not.toBe("");
    expect(await servedCertificate(fleet.gateway.port)).toMatchObject({ subject: { CN: "server" }, serialNumber: "03E9" });
  });

  it("a rotated certificate and key are served to the next connection, open connections keep working", async () => {
    const open = clientOf(fleet);
    await open.getVersion({});
    const rotated = issueServerCert(pki, "server-rotated");
    const reloaded = logged(RELOADED);
    replaceFile(tls.keyFile, rotated.key);
    replaceFile(tls.certFile, rotated.cert);
    await reloaded();
    expect(await servedCertificate(fleet.gateway.port)).toMatchObject({ subject: { CN: "server-rotated" } });
    await clientOf(fleet).getVersion({});
    await open.getVersion({}); // the connection negotiated before the rotation
  });

  it("a corrupt replacement is logged and ignored: the last good certificate keeps serving", async () => {
    const before = await servedCertificate(fleet.gateway.port);
    const rejected = logged(REJECTED);
    writeFileSync(tls.certFile, "-----BEGIN CERTIFICATE-----\nMIIB"); // a writer caught half way
    const warning = await rejected();
    expect(warning).toMatchObject({ level: 40, err: { message: expect.stringContaining(`tls.cert_file: ${tls.certFile}: a certificate block is cut off`) } });
    const after = await servedCertificate(fleet.gateway.port);
    expect(after.fingerprint256).toBe(before.fingerprint256);
    await clientOf(fleet).getVersion({});
  });
});

describe("mutual TLS: the client CA reloads for new connections", () => {
  let fleet: TestFleet;
  let logged: (msg: string) => () => Promise<Record<string, unknown>>;
  let tls: Required<TlsSettings>;

  beforeAll(async () => {
    tls = workingFiles(true);
    ({ fleet, logged } = await startWatchedFleet(tls));
  });
  afterAll(async () => {
    await fleet?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a client without a certificate and accepts one from the CA", async () => {
    expectStatus(await caught(() => clientOf(fleet).getVersion({}, { signal: AbortSignal.timeout(5_000) })), Status.UNAVAILABLE);
    await clientOf(fleet, pki.client("spiffe://cluster.local/ns/a/sa/old-ca")).getVersion({});
  });

  it("after the CA file is rotated, certificates from the new CA are accepted and those of the old one refused", async () => {
    const oldClient = pki.client("spiffe://cluster.local/ns/a/sa/old-ca");
    const newClient = newPki.client("spiffe://cluster.local/ns/a/sa/new-ca");
    expectStatus(await caught(() => clientOf(fleet, newClient).getVersion({}, { signal: AbortSignal.timeout(5_000) })), Status.UNAVAILABLE);
    const reloaded = logged(RELOADED);
    replaceFile(tls.clientCaFile as string, newPki.ca.cert);
    await reloaded();
    await clientOf(fleet, newClient).getVersion({});
    expectStatus(await caught(() => clientOf(fleet, oldClient).getVersion({}, { signal: AbortSignal.timeout(5_000) })), Status.UNAVAILABLE);
  });
});

describe("start-up with unusable TLS files", () => {
  it.each([
    { name: "a missing certificate", tune: (tls: TlsSettings) => ({ ...tls, certFile: join(tls.certFile, "..", "missing.crt") }), message: /^tls\.cert_file: cannot read .*missing\.crt: ENOENT/ },
    { name: "a key that is not PEM", tune: (tls: TlsSettings) => (writeFileSync(tls.keyFile, "not a key"), tls), message: /^tls\.key_file: .*tls\.key: not a usable PEM private key/ },
  ])("fails fast on $name, naming field and path", async ({ tune, message }) => {
    const tls = tune(workingFiles(true));
    try {
      const error = await caught(() => startTestGateway(["http://127.0.0.1:9"], (config) => (config.tls = tls)));
      expect((error as Error).message).toMatch(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
