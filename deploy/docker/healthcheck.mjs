#!/usr/bin/env node
// Container health check: one grpc.health.v1.Health/Check against the gateway in this container.
//
//   node /app/healthcheck.mjs [SERVICE]
//
// SERVICE defaults to "" (the process serves: liveness). "ollama.v1.OllamaService" asks whether at least
// one backend is usable (readiness). Exit status, as Docker's HEALTHCHECK expects: 0 when SERVING, 1
// otherwise (NOT_SERVING, unknown service, unreachable, no answer within 3 s); the reason goes to stderr.
//
// Target: OLLAMA_GRPC_HEALTHCHECK_TARGET (HOST:PORT), else the port of OLLAMA_GRPC_LISTEN (the variable
// that overrides the gateway's own `listen`), else 127.0.0.1:50051.
// TLS: the CLI's variables: OLLAMA_GRPC_TLS_CA (turns TLS on), OLLAMA_GRPC_TLS_CERT + OLLAMA_GRPC_TLS_KEY
// (mutual TLS); OLLAMA_GRPC_TLS_SERVER_NAME when the certificate does not name the target host.
//
// Messages are encoded by hand (HealthCheckRequest has one string field, HealthCheckResponse one enum),
// so the check needs only @grpc/grpc-js and loads in a fraction of the CLI's start-up time.
import { readFileSync } from "node:fs";
import { Client, credentials } from "@grpc/grpc-js";

const DEADLINE_MS = 3_000;
const SERVING = 1;
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

const service = process.argv[2] ?? "";
const target = process.env.OLLAMA_GRPC_HEALTHCHECK_TARGET || targetFromListen(process.env.OLLAMA_GRPC_LISTEN) || "127.0.0.1:50051";

/** 127.0.0.1:PORT for a listen address; a wildcard or explicit host is probed on loopback's port. */
function targetFromListen(listen) {
  if (listen === undefined || listen === "") return undefined;
  const port = listen.slice(listen.lastIndexOf(":") + 1);
  return /^\d+$/.test(port) ? `127.0.0.1:${port}` : undefined;
}

function channelCredentials(env) {
  if (!env.OLLAMA_GRPC_TLS_CA) return credentials.createInsecure();
  const key = env.OLLAMA_GRPC_TLS_KEY ? readFileSync(env.OLLAMA_GRPC_TLS_KEY) : null;
  const cert = env.OLLAMA_GRPC_TLS_CERT ? readFileSync(env.OLLAMA_GRPC_TLS_CERT) : null;
  return credentials.createSsl(readFileSync(env.OLLAMA_GRPC_TLS_CA), key, cert);
}

/** HealthCheckRequest { string service = 1; } */
function encodeRequest(name) {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

function varint(value) {
  const out = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return Buffer.from(out);
}

/** HealthCheckResponse { ServingStatus status = 1; }: the status, skipping unknown fields. */
function decodeStatus(buffer) {
  let status = 0;
  let offset = 0;
  const readVarint = () => {
    let result = 0;
    for (let shift = 0; offset < buffer.length; shift += 7) {
      const byte = buffer[offset++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
    }
    throw new Error("truncated HealthCheckResponse");
  };
  while (offset < buffer.length) {
    const tag = readVarint();
    const wire = tag & 7;
    if (wire === 0) {
      const value = readVarint();
      if (tag >>> 3 === 1) status = value;
    } else if (wire === 2) offset += readVarint();
    else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else throw new Error(`unexpected wire type ${wire} in HealthCheckResponse`);
  }
  return status;
}

const options = process.env.OLLAMA_GRPC_TLS_SERVER_NAME ? { "grpc.ssl_target_name_override": process.env.OLLAMA_GRPC_TLS_SERVER_NAME } : {};
const client = new Client(target, channelCredentials(process.env), options);
client.makeUnaryRequest(
  "/grpc.health.v1.Health/Check",
  encodeRequest,
  decodeStatus,
  service,
  { deadline: Date.now() + DEADLINE_MS },
  (error, status) => {
    client.close();
    const label = `grpc.health.v1 Check ${JSON.stringify(service)} at ${target}`;
    if (error) {
      console.error(`${label}: ${error.message}`);
      process.exitCode = 1;
    } else if (status !== SERVING) {
      console.error(`${label}: ${STATUS_NAMES[status] ?? status}`);
      process.exitCode = 1;
    }
  },
);
