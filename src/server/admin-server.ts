/**
 * The admin endpoint: plain HTTP on its own port (loopback by default),
 * never on the gRPC port. GET /status returns the fleet as JSON (each
 * endpoint's health, ejection, in-flight calls, models present and resident,
 * the gateway queue); GET /metrics the Prometheus metrics; GET /healthz
 * answers 200 while the process runs.
 * Read-only; it exposes no prompts and no credentials.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A listening admin server. */
export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the admin server on `listen` (HOST:PORT; port 0 picks one); `metrics` serves GET /metrics. */
export async function startAdminServer(
  listen: string,
  status: () => Record<string, unknown>,
  metrics?: () => Promise<{ contentType: string; body: string }>,
): Promise<AdminServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
    } else if (path === "/status") {
      const body = JSON.stringify(status(), null, 2) + "\n";
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(request.method === "HEAD" ? undefined : body);
    } else if (path === "/metrics" && metrics !== undefined) {
      metrics().then(
        ({ contentType, body }) => response.writeHead(200, { "content-type": contentType }).end(request.method === "HEAD" ? undefined : body),
        () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n"),
      );
    } else if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try /status, /metrics or /healthz\n");
    }
  });
  const separator = listen.lastIndexOf(":");
  const host = listen.slice(0, separator).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(separator + 1));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
