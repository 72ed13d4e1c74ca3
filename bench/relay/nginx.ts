/**
 * nginx as the pass-through peer: an HTTP/1.1 reverse proxy of the backend's
 * NDJSON with `proxy_buffering off` (each chunk forwarded as it arrives),
 * upstream keep-alive, no access log, its workers pinned to the gateway's
 * core. Debian's `nginx` package; when it is not installed the nginx rows say
 * "not available" and the targets that need it "not measured".
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canPin, spawnPinned, type Proc } from "./processes.js";

/** `nginx version: nginx/1.22.1`, or undefined when nginx is not installed. */
export function nginxVersion(): string | undefined {
  const found = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  if (found.error !== undefined || found.status !== 0) return undefined;
  return (found.stderr || found.stdout).trim().replace(/^nginx version: /, "");
}

export interface NginxSettings {
  readonly dir: string;
  readonly port: number;
  readonly backendPorts: readonly number[];
  readonly workers: number;
  /** Core of every worker. */
  readonly core: number;
  readonly workerConnections: number;
}

/** The configuration file's text. */
export function nginxConfig(s: NginxSettings): string {
  const affinity = canPin ? `worker_cpu_affinity ${Array.from({ length: s.workers }, () => (1 << s.core).toString(2).padStart(s.core + 1, "0")).join(" ")};` : "";
  const user = process.getuid?.() === 0 ? "user root;" : "";
  return `# written by bench/relay/nginx.ts
daemon off;
master_process on;
${user}
worker_processes ${s.workers};
${affinity}
worker_rlimit_nofile ${s.workerConnections + 500};
pid ${join(s.dir, "nginx.pid")};
error_log ${join(s.dir, "error.log")} warn;
events { worker_connections ${s.workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${join(s.dir, "body")};
  proxy_temp_path ${join(s.dir, "proxy")};
  fastcgi_temp_path ${join(s.dir, "fastcgi")};
  uwsgi_temp_path ${join(s.dir, "uwsgi")};
  scgi_temp_path ${join(s.dir, "scgi")};
  upstream backend {
${s.backendPorts.map((p) => `    server 127.0.0.1:${p};`).join("\n")}
    keepalive 1024;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${s.port} backlog=8192;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }
  }
}
`;
}

/** Starts nginx in the foreground (its own process group is not needed: SIGTERM to the master stops the workers). */
export function startNginx(name: string, s: NginxSettings): Proc {
  mkdirSync(s.dir, { recursive: true });
  const file = join(s.dir, "nginx.conf");
  writeFileSync(file, nginxConfig(s));
  return spawnPinned(name, "nginx", ["-p", s.dir, "-e", join(s.dir, "error.log"), "-c", file], { core: s.core, withChildren: true, stdio: ["ignore", "ignore", "inherit"] });
}
