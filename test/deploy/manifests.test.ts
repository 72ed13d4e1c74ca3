/**
 * deploy/ must agree with itself and with the gateway: the ConfigMap's file
 * is valid for the gateway's own loader, and every port, probe, name, timeout
 * and retry policy in the Kubernetes, Istio and Envoy files matches it.
 *
 * Each check is a function over the loaded files. The second table mutates
 * a copy of the files the way a careless edit would and asserts that the
 * named check then fails, so no check can pass vacuously.
 */
import { describe, expect, it } from "vitest";
import { HEALTH_SERVICES } from "../../src/server/grpc-server.js";
import { execForm, exposedPorts, instructions, single } from "./dockerfile.js";
import { all, deployYamlFiles, gatewayConfig, loadDeployBundle, one, parseYamlFile, portOf, seconds, type DeployBundle, type Doc } from "./manifests.js";

const GATEWAY = "ollama-grpc-gateway";
/** Envoy/Istio retry conditions under which the request provably never reached a gateway pod. */
const SAFE_RETRY_ON = new Set(["connect-failure", "refused-stream", "reset-before-request"]);
/** Time grpc-server.ts gives aborted calls to write their status after the drain timeout. */
const ABORT_GRACE_S = 1;

/** What most checks need: the gateway's Deployment, container, configuration, Service, ports. */
function gateway(b: DeployBundle) {
  const deployment = one(b, "Deployment", GATEWAY);
  const pod = deployment.spec.template;
  const container = (pod.spec.containers as Doc[]).find((c) => c.name === "gateway");
  if (container === undefined) throw new Error("no container named gateway");
  const configVolume = (pod.spec.volumes as Doc[]).find((v) => v.configMap !== undefined);
  if (configVolume === undefined) throw new Error("no ConfigMap volume");
  const config = gatewayConfig(b, configVolume.configMap.name);
  const ports = { grpc: portOf(config.listen), http: portOf(config.http.listen), admin: portOf(config.admin.listen) };
  const service = one(b, "Service", GATEWAY);
  const fqdn = (s: Doc) => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`;
  const containerPort = (target: string | number): number => {
    const found = (container.ports as Doc[]).find((p) => p.name === target || p.containerPort === target);
    if (found === undefined) throw new Error(`targetPort ${target} is not a port of the gateway container`);
    return found.containerPort;
  };
  const preStopSeconds = Number((container.lifecycle?.preStop?.exec?.command as string[] | undefined)?.[1] ?? 0);
  return { deployment, pod, container, configVolume, config, ports, service, fqdn, containerPort, preStopSeconds };
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

const gatewayServices = (b: DeployBundle, labels: Record<string, string>) => all(b, "Service").filter((s) => selects(s.spec.selector, labels));

const checks: Record<string, (b: DeployBundle) => void> = {
  "the ConfigMap holds a valid gateway config: all listeners on 0.0.0.0, plaintext, connection age and grace set": (b) => {
    const { config } = gateway(b);
    for (const listen of [config.listen, config.http.listen, config.admin.listen]) expect(listen).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(config.tls, "TLS is the mesh's job in these manifests").toBeUndefined();
    expect(config.transport.maxConnectionAgeMs).toBeGreaterThan(0);
    expect(config.streams.maxStreamDurationMs, "a finite stream cap makes the grace provably long enough").toBeGreaterThan(0);
    expect(config.transport.maxConnectionAgeGraceMs).toBeGreaterThan(config.streams.maxStreamDurationMs);
  },

  "container ports are the config's listen ports (grpc, http, admin)": (b) => {
    const { container, ports } = gateway(b);
    const byName = Object.fromEntries((container.ports as Doc[]).map((p) => [p.name, p.containerPort]));
    expect(byName).toEqual({ grpc: ports.grpc, http: ports.http, admin: ports.admin });
  },

  "the container runs the image's CMD, whose --config is the mounted ConfigMap key": (b) => {
    const { container, configVolume } = gateway(b);
    const cmd = execForm(single(b.dockerfile.runtime, "CMD"));
    expect(container.command, "keep the image's ENTRYPOINT (tini)").toBeUndefined();
    expect(container.args).toEqual(cmd);
    const file = cmd[cmd.indexOf("--config") + 1] as string;
    const mount = (container.volumeMounts as Doc[]).find((m) => m.name === configVolume.name);
    expect(mount?.mountPath).toBe(file.slice(0, file.lastIndexOf("/")));
    expect(Object.keys(one(b, "ConfigMap", configVolume.configMap.name).data)).toContain(file.slice(file.lastIndexOf("/") + 1));
  },

  "probes are native gRPC health probes: readiness on the service, liveness and startup on the process": (b) => {
    const { container, ports } = gateway(b);
    expect(HEALTH_SERVICES).toEqual(["", "ollama.v1.OllamaService"]);
    expect(container.readinessProbe.grpc).toEqual({ port: ports.grpc, service: HEALTH_SERVICES[1] });
    expect(container.livenessProbe.grpc).toEqual({ port: ports.grpc, service: HEALTH_SERVICES[0] });
    expect(container.startupProbe.grpc).toEqual({ port: ports.grpc, service: HEALTH_SERVICES[0] });
  },

  "terminationGracePeriodSeconds (and Istio's sidecar drain) cover preStop + drain_timeout": (b) => {
    const { pod, config, preStopSeconds } = gateway(b);
    const drain = config.streams.drainTimeoutMs / 1000;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + drain + ABORT_GRACE_S);
    const proxy = parseYamlInline(pod.metadata.annotations["proxy.istio.io/config"]);
    expect(seconds(proxy.terminationDrainDuration)).toBeGreaterThanOrEqual(preStopSeconds + drain + ABORT_GRACE_S);
    expect(seconds(proxy.terminationDrainDuration)).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
  },

  "the pod runs as the image's numeric non-root user with a read-only root filesystem": (b) => {
    const { pod, container } = gateway(b);
    const [uid, gid] = single(b.dockerfile.runtime, "USER").rest.split(":").map(Number);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  },

  "Services target the container's ports, with grpc-*/http-* names and appProtocol": (b) => {
    const { pod, ports, containerPort, service } = gateway(b);
    const services = gatewayServices(b, pod.metadata.labels);
    expect(services.map((s) => s.metadata.name)).toContain(service.metadata.name);
    expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
    expect((service.spec.ports as Doc[]).map((p) => p.port).sort()).toEqual([ports.grpc, ports.http, ports.admin].sort());
    for (const s of services) {
      for (const port of s.spec.ports as Doc[]) {
        const target = containerPort(port.targetPort);
        expect(port.port, `${s.metadata.name}/${port.name}: clients use the gateway's own port numbers`).toBe(target);
        const grpc = target === ports.grpc;
        expect(port.name).toMatch(grpc ? /^grpc-/ : /^http-/);
        expect(port.appProtocol).toBe(grpc ? "grpc" : "http");
      }
    }
  },

  "the PodDisruptionBudget and the HPA target the Deployment": (b) => {
    const { deployment, pod } = gateway(b);
    const pdb = one(b, "PodDisruptionBudget", GATEWAY);
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const hpa = one(b, "HorizontalPodAutoscaler", GATEWAY);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(pdb.spec.maxUnavailable).toBeLessThan(hpa.spec.minReplicas);
  },

  "DNS discovery resolves the Ollama headless Service, sized by OLLAMA_NUM_PARALLEL": (b) => {
    const { config } = gateway(b);
    const [cluster] = config.clusters;
    expect(cluster?.discovery.type).toBe("dns");
    const dns = cluster?.discovery.dns;
    const service = all(b, "Service").find((s) => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local` === dns?.name);
    expect(service, `a Service for ${dns?.name}`).toBeDefined();
    expect(service?.spec.clusterIP, "headless: one A record per pod").toBe("None");
    const statefulSet = all(b, "StatefulSet").find((s) => s.spec.serviceName === service?.metadata.name);
    expect(statefulSet).toBeDefined();
    const ollama = (statefulSet?.spec.template.spec.containers as Doc[])[0] as Doc;
    expect(selects(service?.spec.selector, statefulSet?.spec.template.metadata.labels)).toBe(true);
    const port = (service?.spec.ports as Doc[]).find((p) => p.port === dns?.port);
    expect(port, `the Service has port ${dns?.port}`).toBeDefined();
    expect((ollama.ports as Doc[]).find((p) => p.name === port?.targetPort || p.containerPort === port?.targetPort)?.containerPort).toBe(dns?.port);
    const parallel = (ollama.env as Doc[]).find((e) => e.name === "OLLAMA_NUM_PARALLEL")?.value;
    expect(Number(parallel)).toBe(cluster?.discovery.endpointDefaults.maxConcurrency);
    // A deleted Ollama pod keeps serving until the gateway has re-resolved DNS and stopped sending it calls.
    const preStop = Number((ollama.lifecycle?.preStop?.exec?.command as string[] | undefined)?.[1] ?? 0);
    expect(preStop).toBeGreaterThanOrEqual((dns?.maxRefreshMs ?? Infinity) / 1000);
    expect(statefulSet?.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop);
  },

  "the Dockerfile EXPOSEs exactly the config's ports": (b) => {
    const { ports } = gateway(b);
    expect(exposedPorts(b.dockerfile.runtime).sort()).toEqual([ports.grpc, ports.http, ports.admin].sort());
  },

  "Istio objects name the gateway Service by FQDN and route every Service port": (b) => {
    const { service, fqdn } = gateway(b);
    expect(one(b, "DestinationRule", GATEWAY).spec.host).toBe(fqdn(service));
    const vs = one(b, "VirtualService", GATEWAY);
    expect(vs.spec.hosts).toEqual([fqdn(service)]);
    const servicePorts = (service.spec.ports as Doc[]).map((p) => p.port);
    const routed = (vs.spec.http as Doc[]).map((route) => {
      for (const r of route.route as Doc[]) {
        expect(r.destination.host).toBe(fqdn(service));
        expect(servicePorts).toContain(r.destination.port.number);
      }
      return (route.match as Doc[])[0]?.port;
    });
    expect(routed.sort()).toEqual(servicePorts.sort());
  },

  "Istio routes never time out streams, and retry only requests that never reached a gateway pod": (b) => {
    const { ports } = gateway(b);
    for (const route of one(b, "VirtualService", GATEWAY).spec.http as Doc[]) {
      const port = (route.match as Doc[])[0]?.port;
      if (port === ports.grpc || port === ports.http) expect(route.timeout, `route ${route.name}`).toBe("0s");
      expect(route.retries, `route ${route.name}: without retries Istio's default policy (unavailable, cancelled, 503) applies`).toBeDefined();
      expect(route.retries.perTryTimeout, `route ${route.name}: fires during cold loads and replays the call`).toBeUndefined();
      for (const condition of String(route.retries.retryOn).split(",")) expect(SAFE_RETRY_ON, `route ${route.name}`).toContain(condition.trim());
    }
  },

  "the DestinationRule keeps connections for long streams and ejects pods only for their own failures": (b) => {
    const policy = one(b, "DestinationRule", GATEWAY).spec.trafficPolicy;
    expect(policy.connectionPool.http.maxRequestsPerConnection ?? 0, "1 disables keep-alive").not.toBe(1);
    expect(policy.connectionPool.http.http2MaxRequests, "open streams count against it for their whole length").toBeGreaterThanOrEqual(1000);
    expect(policy.connectionPool.http.h2UpgradePolicy).toBe("UPGRADE");
    expect(policy.outlierDetection, "Istio's default 5 consecutive 5xx would eject pods for Ollama's UNAVAILABLE").toMatchObject({
      consecutive5xxErrors: 0,
      splitExternalLocalOriginErrors: true,
    });
    expect(policy.outlierDetection.consecutiveGatewayErrors ?? 0).toBe(0);
    expect(policy.outlierDetection.consecutiveLocalOriginFailures).toBeGreaterThan(0);
  },

  "PeerAuthentication is STRICT on the gateway pods": (b) => {
    const { pod } = gateway(b);
    const pa = one(b, "PeerAuthentication", GATEWAY);
    expect(pa.spec.mtls.mode).toBe("STRICT");
    expect(selects(pa.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  },

  "Istio stream idle timeouts outlast the gateway's first-token timeout, on the gateway's ports and routes": (b) => {
    const { pod, config, ports, service, fqdn } = gateway(b);
    const firstToken = config.upstream.firstTokenTimeoutMs / 1000;
    const filters = all(b, "EnvoyFilter");
    expect(filters.length).toBeGreaterThan(0);
    const dnsPort = config.clusters[0]?.discovery.dns.port;
    const servicePorts = (service.spec.ports as Doc[]).map((p) => p.port);
    let patches = 0;
    for (const filter of filters) {
      if (filter.spec.workloadSelector !== undefined) expect(selects(filter.spec.workloadSelector.labels, pod.metadata.labels)).toBe(true);
      for (const patch of filter.spec.configPatches as Doc[]) {
        const idle = patch.patch.value.typed_config?.stream_idle_timeout ?? patch.patch.value.route?.idle_timeout;
        expect(seconds(idle)).toBeGreaterThan(firstToken);
        patches += 1;
        const listenerPort = patch.match.listener?.portNumber;
        if (listenerPort !== undefined) {
          expect(patch.match.context === "SIDECAR_INBOUND" ? [ports.grpc, ports.http] : [dnsPort]).toContain(listenerPort);
        }
        const vhost = patch.match.routeConfiguration?.vhost?.name;
        if (vhost !== undefined) expect(servicePorts.map((p) => `${fqdn(service)}:${p}`)).toContain(vhost);
      }
    }
    expect(patches).toBeGreaterThan(0);
  },

  "Envoy listens on the gateway's ports and forwards to every gateway pod, gRPC over HTTP/2": (b) => {
    const { pod, ports } = gateway(b);
    const listeners = b.envoy.static_resources.listeners as Doc[];
    expect(listeners.map((l) => l.address.socket_address.port_value).sort()).toEqual([ports.grpc, ports.http].sort());
    const headless = gatewayServices(b, pod.metadata.labels).filter((s) => s.spec.clusterIP === "None");
    const hosts = headless.map((s) => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`);
    const clusters = b.envoy.static_resources.clusters as Doc[];
    const clusterPorts: number[] = [];
    for (const cluster of clusters) {
      const address = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
      expect(hosts, `cluster ${cluster.name}: a headless Service of the gateway pods`).toContain(address.address);
      const service = headless[hosts.indexOf(address.address)] as Doc;
      expect((service.spec.ports as Doc[]).map((p) => p.port)).toContain(address.port_value);
      clusterPorts.push(address.port_value);
      const options = cluster.typed_extension_protocol_options?.["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
      if (address.port_value === ports.grpc) {
        const http2 = options?.explicit_http_config?.http2_protocol_options;
        expect(http2, `cluster ${cluster.name}: gRPC needs HTTP/2 upstream`).toBeDefined();
        // Pings must come well inside the L4 idle timeouts the docs cite (AWS NLB 350 s), and not flood the gateway.
        const interval = seconds(http2.connection_keepalive.interval);
        expect(interval, "Envoy keepalive between 10 s and the 350 s NLB idle timeout").toBeGreaterThanOrEqual(10);
        expect(interval).toBeLessThan(350);
        const grpcCheck = (cluster.health_checks as Doc[])[0]?.grpc_health_check;
        expect(HEALTH_SERVICES).toContain(grpcCheck?.service_name);
      }
    }
    expect(clusterPorts.sort()).toEqual([ports.grpc, ports.http].sort());
  },

  "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests": (b) => {
    const { config } = gateway(b);
    const firstToken = config.upstream.firstTokenTimeoutMs / 1000;
    for (const listener of b.envoy.static_resources.listeners as Doc[]) {
      const hcm = listener.filter_chains[0].filters[0].typed_config;
      expect(seconds(hcm.stream_idle_timeout), `listener ${listener.name}`).toBeGreaterThan(firstToken);
      expect(hcm.common_http_protocol_options?.max_stream_duration).toBeUndefined();
      for (const host of hcm.route_config.virtual_hosts as Doc[]) {
        for (const route of host.routes as Doc[]) {
          expect(route.route.timeout, `listener ${listener.name}: Envoy's default route timeout is 15 s`).toBe("0s");
          expect(route.route.max_stream_duration).toBeUndefined();
          if (route.route.idle_timeout !== undefined) expect(seconds(route.route.idle_timeout)).toBeGreaterThan(firstToken);
          const retry = route.route.retry_policy;
          expect(retry?.per_try_timeout).toBeUndefined();
          expect(retry?.retry_on === undefined || retry?.retry_on === "").toBe(false);
          for (const condition of String(retry.retry_on).split(",")) expect(SAFE_RETRY_ON).toContain(condition.trim());
        }
      }
    }
  },
};

/** `proxy.istio.io/config` is YAML inside an annotation. */
function parseYamlInline(text: string): Doc {
  return Object.fromEntries(text.split("\n").filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]));
}

/** A careless edit, and the check it must trip. */
interface Mutation {
  what: string;
  check: keyof typeof checks;
  apply(b: DeployBundle): void;
}

const configMap = (b: DeployBundle) => one(b, "ConfigMap", GATEWAY);
const container = (b: DeployBundle) => gateway(b).container;
const envoyRoute = (b: DeployBundle) => b.envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route;
const vsRoute = (b: DeployBundle, index = 0) => one(b, "VirtualService", GATEWAY).spec.http[index];
const dr = (b: DeployBundle) => one(b, "DestinationRule", GATEWAY).spec.trafficPolicy;

const mutations: Mutation[] = [
  { what: "an unknown config key", check: "the ConfigMap holds a valid gateway config: all listeners on 0.0.0.0, plaintext, connection age and grace set", apply: (b) => (configMap(b).data["config.yaml"] += "bogus: 1\n") },
  { what: "the admin endpoint on loopback", check: "the ConfigMap holds a valid gateway config: all listeners on 0.0.0.0, plaintext, connection age and grace set", apply: (b) => (configMap(b).data["config.yaml"] = configMap(b).data["config.yaml"].replace("0.0.0.0:50052", "127.0.0.1:50052")) },
  { what: "a grace shorter than the longest stream", check: "the ConfigMap holds a valid gateway config: all listeners on 0.0.0.0, plaintext, connection age and grace set", apply: (b) => (configMap(b).data["config.yaml"] = configMap(b).data["config.yaml"].replace("max_connection_age_grace: 1h", "max_connection_age_grace: 10m")) },
  { what: "the gRPC port moved in the config only", check: "container ports are the config's listen ports (grpc, http, admin)", apply: (b) => (configMap(b).data["config.yaml"] = configMap(b).data["config.yaml"].replace("0.0.0.0:50051", "0.0.0.0:50061")) },
  { what: "the admin container port changed", check: "container ports are the config's listen ports (grpc, http, admin)", apply: (b) => ((container(b).ports as Doc[])[2]!.containerPort = 9090) },
  { what: "args without --config", check: "the container runs the image's CMD, whose --config is the mounted ConfigMap key", apply: (b) => (container(b).args = ["serve"]) },
  { what: "the ConfigMap mounted elsewhere", check: "the container runs the image's CMD, whose --config is the mounted ConfigMap key", apply: (b) => (container(b).volumeMounts[0].mountPath = "/config") },
  { what: "readiness on the process", check: "probes are native gRPC health probes: readiness on the service, liveness and startup on the process", apply: (b) => (container(b).readinessProbe.grpc.service = "") },
  { what: "liveness on the backends", check: "probes are native gRPC health probes: readiness on the service, liveness and startup on the process", apply: (b) => (container(b).livenessProbe.grpc.service = "ollama.v1.OllamaService") },
  { what: "readiness on the HTTP port", check: "probes are native gRPC health probes: readiness on the service, liveness and startup on the process", apply: (b) => (container(b).readinessProbe.grpc.port = 11434) },
  { what: "the default 30 s grace period", check: "terminationGracePeriodSeconds (and Istio's sidecar drain) cover preStop + drain_timeout", apply: (b) => (gateway(b).pod.spec.terminationGracePeriodSeconds = 30) },
  { what: "Istio's default 5 s sidecar drain", check: "terminationGracePeriodSeconds (and Istio's sidecar drain) cover preStop + drain_timeout", apply: (b) => (gateway(b).pod.metadata.annotations["proxy.istio.io/config"] = "terminationDrainDuration: 5s\n") },
  { what: "root", check: "the pod runs as the image's numeric non-root user with a read-only root filesystem", apply: (b) => (gateway(b).pod.spec.securityContext.runAsUser = 0) },
  { what: "a writable root filesystem", check: "the pod runs as the image's numeric non-root user with a read-only root filesystem", apply: (b) => (container(b).securityContext.readOnlyRootFilesystem = false) },
  { what: "a tcp- port name", check: "Services target the container's ports, with grpc-*/http-* names and appProtocol", apply: (b) => (one(b, "Service", GATEWAY).spec.ports[0].name = "tcp-api") },
  { what: "appProtocol http2 on the gRPC port", check: "Services target the container's ports, with grpc-*/http-* names and appProtocol", apply: (b) => (one(b, "Service", GATEWAY).spec.ports[0].appProtocol = "http2") },
  { what: "a targetPort that is no container port", check: "Services target the container's ports, with grpc-*/http-* names and appProtocol", apply: (b) => (one(b, "Service", GATEWAY).spec.ports[1].targetPort = "web") },
  { what: "a Service selector that matches no pod", check: "Services target the container's ports, with grpc-*/http-* names and appProtocol", apply: (b) => (one(b, "Service", GATEWAY).spec.selector = { app: "gateway" }) },
  { what: "an HPA on another Deployment", check: "the PodDisruptionBudget and the HPA target the Deployment", apply: (b) => (one(b, "HorizontalPodAutoscaler", GATEWAY).spec.scaleTargetRef.name = "gateway") },
  { what: "a PDB selecting nothing", check: "the PodDisruptionBudget and the HPA target the Deployment", apply: (b) => (one(b, "PodDisruptionBudget", GATEWAY).spec.selector.matchLabels = { app: "x" }) },
  { what: "a renamed Ollama Service", check: "DNS discovery resolves the Ollama headless Service, sized by OLLAMA_NUM_PARALLEL", apply: (b) => (one(b, "Service", "ollama").metadata.name = "ollama-gpu") },
  { what: "a ClusterIP Ollama Service", check: "DNS discovery resolves the Ollama headless Service, sized by OLLAMA_NUM_PARALLEL", apply: (b) => delete one(b, "Service", "ollama").spec.clusterIP },
  { what: "OLLAMA_NUM_PARALLEL out of step", check: "DNS discovery resolves the Ollama headless Service, sized by OLLAMA_NUM_PARALLEL", apply: (b) => (one(b, "StatefulSet", "ollama").spec.template.spec.containers[0].env.find((e: Doc) => e.name === "OLLAMA_NUM_PARALLEL").value = "8") },
  { what: "Ollama pods that stop before the gateway re-resolves DNS", check: "DNS discovery resolves the Ollama headless Service, sized by OLLAMA_NUM_PARALLEL", apply: (b) => delete one(b, "StatefulSet", "ollama").spec.template.spec.containers[0].lifecycle },
  { what: "EXPOSE without the admin port", check: "the Dockerfile EXPOSEs exactly the config's ports", apply: (b) => (instructions(b.dockerfile.runtime, "EXPOSE")[0]!.rest = "50051 11434") },
  { what: "a short DestinationRule host", check: "Istio objects name the gateway Service by FQDN and route every Service port", apply: (b) => (one(b, "DestinationRule", GATEWAY).spec.host = GATEWAY) },
  { what: "no route for the admin port", check: "Istio objects name the gateway Service by FQDN and route every Service port", apply: (b) => one(b, "VirtualService", GATEWAY).spec.http.pop() },
  { what: "a 30 s route timeout", check: "Istio routes never time out streams, and retry only requests that never reached a gateway pod", apply: (b) => (vsRoute(b).timeout = "30s") },
  { what: "retries on unavailable", check: "Istio routes never time out streams, and retry only requests that never reached a gateway pod", apply: (b) => (vsRoute(b).retries.retryOn += ",unavailable") },
  { what: "retries on 5xx", check: "Istio routes never time out streams, and retry only requests that never reached a gateway pod", apply: (b) => (vsRoute(b, 1).retries.retryOn = "5xx") },
  { what: "a per-try timeout", check: "Istio routes never time out streams, and retry only requests that never reached a gateway pod", apply: (b) => (vsRoute(b).retries.perTryTimeout = "30s") },
  { what: "no retries section (Istio's defaults)", check: "Istio routes never time out streams, and retry only requests that never reached a gateway pod", apply: (b) => delete vsRoute(b).retries },
  { what: "one request per connection", check: "the DestinationRule keeps connections for long streams and ejects pods only for their own failures", apply: (b) => (dr(b).connectionPool.http.maxRequestsPerConnection = 1) },
  { what: "ejection on 5xx (Istio's default)", check: "the DestinationRule keeps connections for long streams and ejects pods only for their own failures", apply: (b) => delete dr(b).outlierDetection.consecutive5xxErrors },
  { what: "PERMISSIVE mTLS", check: "PeerAuthentication is STRICT on the gateway pods", apply: (b) => (one(b, "PeerAuthentication", GATEWAY).spec.mtls.mode = "PERMISSIVE") },
  { what: "Envoy's default 5 min stream idle timeout", check: "Istio stream idle timeouts outlast the gateway's first-token timeout, on the gateway's ports and routes", apply: (b) => (all(b, "EnvoyFilter")[0]!.spec.configPatches[0].patch.value.typed_config.stream_idle_timeout = "300s") },
  { what: "an idle timeout on a vhost that does not exist", check: "Istio stream idle timeouts outlast the gateway's first-token timeout, on the gateway's ports and routes", apply: (b) => (all(b, "EnvoyFilter")[1]!.spec.configPatches[0].match.routeConfiguration.vhost.name = "ollama-grpc-gateway:50051") },
  { what: "an HTTP/1.1 gRPC cluster", check: "Envoy listens on the gateway's ports and forwards to every gateway pod, gRPC over HTTP/2", apply: (b) => (b.envoy.static_resources.clusters[0].typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config = { http_protocol_options: {} }) },
  { what: "a cluster on the admin port", check: "Envoy listens on the gateway's ports and forwards to every gateway pod, gRPC over HTTP/2", apply: (b) => (b.envoy.static_resources.clusters[1].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 50052) },
  { what: "a cluster on the ClusterIP Service", check: "Envoy listens on the gateway's ports and forwards to every gateway pod, gRPC over HTTP/2", apply: (b) => (b.envoy.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address = "ollama-grpc-gateway.ai.svc.cluster.local") },
  { what: "keepalive pings every 5 s", check: "Envoy listens on the gateway's ports and forwards to every gateway pod, gRPC over HTTP/2", apply: (b) => (b.envoy.static_resources.clusters[0].typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config.http2_protocol_options.connection_keepalive.interval = "5s") },
  { what: "no route timeout (Envoy's 15 s default)", check: "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests", apply: (b) => delete envoyRoute(b).timeout },
  { what: "retry_on 5xx", check: "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests", apply: (b) => (envoyRoute(b).retry_policy.retry_on = "5xx,connect-failure") },
  { what: "retry_on reset (replays half-streamed answers' requests)", check: "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests", apply: (b) => (envoyRoute(b).retry_policy.retry_on = "reset") },
  { what: "the default stream idle timeout", check: "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests", apply: (b) => (b.envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stream_idle_timeout = "300s") },
  { what: "a 60 s max_stream_duration", check: "Envoy routes never time out streams, idle timeouts outlast cold loads, retries only unsent requests", apply: (b) => (envoyRoute(b).max_stream_duration = { max_stream_duration: "60s" }) },
];

describe("deploy/ files", () => {
  it("every YAML file under deploy/ parses; Kubernetes and Istio documents have apiVersion, kind, name", () => {
    const files = deployYamlFiles();
    expect(files).toEqual(expect.arrayContaining(["deploy/docker/config.yaml", "deploy/envoy/envoy.yaml", "deploy/kubernetes/configmap.yaml"]));
    for (const file of files) {
      const docs = parseYamlFile(file);
      expect(docs.length, file).toBeGreaterThan(0);
      if (!file.startsWith("deploy/kubernetes/") && !file.startsWith("deploy/istio/")) continue;
      for (const doc of docs) {
        expect(doc.apiVersion, file).toEqual(expect.any(String));
        expect(doc.kind, file).toEqual(expect.any(String));
        if (doc.kind !== "Kustomization") expect(doc.metadata?.name, `${file} ${doc.kind}`).toEqual(expect.any(String));
      }
    }
  });

  it("the kustomization lists every Kubernetes file", () => {
    const kustomization = one(loadDeployBundle(), "Kustomization");
    const files = deployYamlFiles().filter((f) => f.startsWith("deploy/kubernetes/") && !f.endsWith("kustomization.yaml"));
    expect([...kustomization.resources].sort()).toEqual(files.map((f) => f.slice("deploy/kubernetes/".length)).sort());
  });
});

describe("deploy/ agrees with the gateway", () => {
  const bundle = loadDeployBundle();
  it.each(Object.keys(checks))("%s", (name) => {
    checks[name]!(bundle);
  });
});

describe("each check fails on the edit it guards against", () => {
  it.each(mutations.map((m) => [m.what, m] as const))("%s", (_what, mutation) => {
    const bundle = structuredClone(loadDeployBundle());
    checks[mutation.check]!(bundle); // passes before the edit...
    mutation.apply(bundle);
    let failure: unknown;
    try {
      checks[mutation.check]!(bundle);
    } catch (error) {
      failure = error;
    }
    expect(failure, "the check still passes after the edit").toBeDefined(); // ...and not after it,
    expect(failure, String(failure)).not.toBeInstanceOf(TypeError); // on an assertion, not on a broken path
  });
});
