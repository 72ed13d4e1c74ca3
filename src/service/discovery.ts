/**
 * Where the fleet's endpoints come from (`discovery.type`): the `backends`
 * list (static, hot-reloaded with the file), DNS (every A/AAAA record of a
 * name, e.g. a Kubernetes headless Service, re-resolved as TTLs expire), or
 * an xDS control plane (EDS over ADS). Discovered endpoints get
 * `discovery.endpoint_defaults` (weight, priority, max_concurrency, labels).
 */
import type { Config } from "../config/schema.js";
import { DnsResolver } from "../upstream/resolver-dns.js";
import { XdsResolver } from "../upstream/resolver-xds.js";
import type { Resolver } from "../upstream/resolver.js";
import type { Clock } from "../upstream/types.js";

/** The resolver for `config.discovery`, or undefined for the static backend list. */
export function createResolver(config: Config, clock: Clock): Resolver | undefined {
  const { type, dns, xds, endpointDefaults } = config.discovery;
  switch (type) {
    case "static":
      return undefined;
    case "dns":
      return new DnsResolver({
        hostname: dns.name,
        template: { scheme: dns.scheme, port: dns.port, ...endpointDefaults },
        clock,
        minRefreshMs: dns.minRefreshMs,
        maxRefreshMs: dns.maxRefreshMs,
      });
    case "xds":
      return new XdsResolver({
        server: xds.server,
        cluster: xds.cluster,
        nodeId: xds.nodeId,
        template: { scheme: "http", maxConcurrency: endpointDefaults.maxConcurrency, labels: endpointDefaults.labels },
        clock,
      });
  }
}
