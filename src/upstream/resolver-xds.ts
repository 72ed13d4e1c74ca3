/**
 * Endpoint discovery from an xDS control plane: one ADS stream
 * (`AggregatedDiscoveryService/StreamAggregatedResources`, state of the
 * world) subscribed to one ClusterLoadAssignment, as Envoy and proxyless gRPC
 * do for EDS. This module talks gRPC to the control plane (that is its job)
 * but knows nothing of the gateway's own service or of Ollama.
 *
 * Mapping of a ClusterLoadAssignment (rules the tests pin down):
 * - Every `lb_endpoints[]` entry becomes one endpoint named `host:port`
 *   (`[host]:port` for IPv6) with url `scheme://host:port`.
 * - Endpoints whose `health_status` is UNHEALTHY, DRAINING or TIMEOUT are
 *   left out; UNKNOWN, HEALTHY and DEGRADED stay (as in Envoy, DEGRADED
 *   hosts still serve; our own health checks judge them further).
 * - `weight` is the endpoint's `load_balancing_weight` (1 when unset). The
 *   locality's `load_balancing_weight` is not applied: that is Envoy's
 *   default (locality weights count only under locality-weighted LB), and
 *   control planes such as Istio set each locality's weight to the sum of
 *   its endpoints' weights, for which gRPC's two-level pick
 *   (locality, then endpoint) gives every endpoint the same share anyway.
 * - `priority` is the LocalityLbEndpoints `priority`; `locality` is
 *   "region/zone/sub_zone" with empty parts left out.
 * - `labels` are the template's, overridden by the string fields of the
 *   endpoint's `metadata.filter_metadata["envoy.lb"]`.
 * - The list is sorted by name, so a reordered assignment is no change.
 *
 * Protocol: the first request of each stream carries the node; each
 * response is ACKed (its version and nonce echoed) or NACKed (the last
 * accepted version, its nonce, and `error_detail`). A resource is rejected
 * as a whole, the last list staying in force, when its bytes do not decode,
 * its type URL is not EDS, or an endpoint has no socket address, a named
 * port, a port outside 1..65535, a weight of 0 (protoc-gen-validate: gte 1)
 * or a duplicate `host:port` (as grpc-go does). Resources for other
 * clusters are ignored, as xDS requires of unrequested resources.
 */
import * as grpc from "@grpc/grpc-js";
import { fullJitterBackoffMs } from "./backoff.js";
import type { EndpointTemplate, Resolver, ResolverListener } from "./resolver.js";
import { systemClock, type Clock, type EndpointConfig } from "./types.js";
import { ADS_METHOD_PATH, EDS_TYPE_URL, xdsCodec, type XdsCodec } from "./xds-protos.js";

export interface XdsResolverOptions {
  /** Control plane address, `host:port`; plaintext (no TLS). */
  readonly server: string;
  /** Name of the ClusterLoadAssignment to watch (the cluster's EDS service name). */
  readonly cluster: string;
  /** `node.id` sent to the control plane, which may select resources by it. */
  readonly nodeId: string;
  /** What the control plane does not say about an endpoint. */
  readonly template: Pick<EndpointTemplate, "scheme" | "maxConcurrency" | "labels">;
  /** Timers for reconnection; defaults to the system clock. */
  readonly clock?: Clock;
  /**
   * Reconnection delays: attempt n (from 0) waits a uniformly random time
   * below min(maxMs, baseMs × 2^n) (full jitter). Defaults to 1 s and 30 s.
   * The count resets when a stream delivers a response.
   */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Source of jitter in [0, 1); defaults to Math.random. */
  readonly random?: () => number;
}

/** `user_agent_name` in the node we announce. */
const USER_AGENT = "ollama-grpc-gateway";
/** google.rpc.Code INVALID_ARGUMENT, the code of a NACK's `error_detail`. */
const INVALID_ARGUMENT = 3;
const SKIPPED_HEALTH = new Set(["UNHEALTHY", "DRAINING", "TIMEOUT"]);

/** A DiscoveryRequest as protobufjs's `fromObject` takes it (snake_case fields). */
interface DiscoveryRequest {
  readonly version_info: string;
  readonly node?: { readonly id: string; readonly user_agent_name: string };
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail?: { readonly code: number; readonly message: string };
}

/** The parts of a DiscoveryResponse we use. */
interface DiscoveryResponse {
  readonly versionInfo: string;
  readonly nonce: string;
  readonly typeUrl: string;
  readonly resources: ReadonlyArray<{ readonly typeUrl: string; readonly value: Uint8Array }>;
}

/**
 * A {@link Resolver} fed by an xDS control plane. The stream opens in
 * `start`; endpoint lists and errors reach the listener from stream events
 * and timers only, never synchronously. A stream that fails or ends calls
 * `onError` and is reopened after a backoff; a rejected (NACKed) response
 * calls `onError` too. Both keep the last list in force. The listener must
 * not throw.
 */
export class XdsResolver implements Resolver {
  readonly #options: XdsResolverOptions;
  readonly #clock: Clock;
  readonly #backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly #random: () => number;
  readonly #codec: XdsCodec;
  #listener: ResolverListener | undefined;
  #stopped = false;
  #client: grpc.Client | undefined;
  /** The open stream; events of any other (older) stream are ignored. */
  #call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  #timer: { clear(): void } | undefined;
  /** Reconnections since a stream last delivered a response. */
  #attempt = 0;
  /** version_info of the last accepted response ("" before any). */
  #acceptedVersion = "";
  /** The list last delivered, serialized for comparison; undefined before the first. */
  #delivered: string | undefined;

  /** Validates the options and loads the protos; throws a RangeError naming a bad field. */
  constructor(options: XdsResolverOptions) {
    for (const field of ["server", "cluster", "nodeId"] as const) {
      const value: unknown = options[field];
      if (typeof value !== "string" || value.trim() === "") {
        throw new RangeError(`xds.${field}: expected a non-empty string, got ${JSON.stringify(value)}`);
      }
    }
    const { maxConcurrency } = options.template;
    if (!(Number.isInteger(maxConcurrency) && maxConcurrency > 0)) {
      throw new RangeError(`xds.template.maxConcurrency: expected an integer > 0, got ${maxConcurrency}`);
    }
    const backoff = options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    if (!(Number.isFinite(backoff.baseMs) && backoff.baseMs > 0)) {
      throw new RangeError(`xds.backoff.baseMs: expected a finite number > 0, got ${backoff.baseMs}`);
    }
    if (!(Number.isFinite(backoff.maxMs) && backoff.maxMs >= backoff.baseMs)) {
      throw new RangeError(`xds.backoff.maxMs: expected a finite number >= baseMs (${backoff.baseMs}), got ${backoff.maxMs}`);
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = backoff;
    this.#random = options.random ?? Math.random;
    this.#codec = xdsCodec();
  }

  /** Opens the channel and the first stream. Throws when called twice (or after `stop`), or on an unparsable `server`. */
  start(listener: ResolverListener): void {
    if (this.#listener !== undefined || this.#stopped) throw new Error("XdsResolver: start may be called only once");
    this.#listener = listener;
    this.#client = new grpc.Client(this.#options.server, grpc.credentials.createInsecure());
    this.#connect();
  }

  /** Cancels the stream, clears the timer and closes the channel; nothing is delivered afterwards. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#listener = undefined;
    this.#timer?.clear();
    this.#timer = undefined;
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
    this.#client?.close();
  }

  #connect(): void {
    this.#timer = undefined;
    const client = this.#client;
    if (this.#stopped || client === undefined) return;
    const codec = this.#codec;
    const call = client.makeBidiStreamRequest<DiscoveryRequest, DiscoveryResponse>(
      ADS_METHOD_PATH,
      (request) => codec.encodeRequest(request),
      // A DiscoveryResponse that does not decode fails the stream (grpc-js
      // ends it with INTERNAL): without a nonce there is nothing to NACK.
      (bytes) => readResponse(codec.decodeResponse(bytes)),
    );
    this.#call = call;
    let failure: Error | undefined;
    call.on("data", (response: DiscoveryResponse) => {
      if (this.#call === call) this.#onResponse(response);
    });
    // grpc-js emits "error" (non-OK status only) just before "status"; a
    // listener is required, and its error carries the better message.
    call.on("error", (error: Error) => {
      failure = error;
    });
    call.on("status", (status: grpc.StatusObject) => {
      if (this.#call !== call) return;
      this.#call = undefined;
      const server = this.#options.server;
      this.#onStreamClosed(
        failure === undefined
          ? new Error(`xds: ADS stream to ${server} ended by the server (status ${status.code})`)
          : new Error(`xds: ADS stream to ${server} failed: ${failure.message}`, { cause: failure }),
      );
    });
    // On a new stream, the last accepted version tells the control plane
    // what we already hold (xDS protocol, "Resource updates").
    call.write({
      ...this.#subscription(this.#acceptedVersion, ""),
      node: { id: this.#options.nodeId, user_agent_name: USER_AGENT },
    });
  }

  #onResponse(response: DiscoveryResponse): void {
    this.#attempt = 0;
    let endpoints: EndpointConfig[] | undefined;
    try {
      endpoints = this.#assignment(response);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#call?.write({
        ...this.#subscription(this.#acceptedVersion, response.nonce),
        error_detail: { code: INVALID_ARGUMENT, message },
      });
      this.#listener?.onError(
        new Error(`xds: rejected ClusterLoadAssignment "${this.#options.cluster}" version "${response.versionInfo}": ${message}`),
      );
      return;
    }
    this.#acceptedVersion = response.versionInfo;
    const serialized = endpoints === undefined ? undefined : JSON.stringify(endpoints);
    try {
      if (endpoints !== undefined && serialized !== this.#delivered) {
        this.#delivered = serialized;
        this.#listener?.onEndpoints(endpoints);
      }
    } finally {
      // ACK even if the listener broke its contract and threw, so the
      // control plane is not left waiting.
      this.#call?.write(this.#subscription(response.versionInfo, response.nonce));
    }
  }

  /** The endpoints of our cluster in `response`; undefined when it has none for us. Throws to NACK. */
  #assignment(response: DiscoveryResponse): EndpointConfig[] | undefined {
    if (response.typeUrl !== EDS_TYPE_URL) throw new Error(`unexpected type_url "${response.typeUrl}"`);
    let endpoints: EndpointConfig[] | undefined;
    for (const [index, resource] of response.resources.entries()) {
      if (resource.typeUrl !== EDS_TYPE_URL) throw new Error(`resources[${index}]: unexpected type_url "${resource.typeUrl}"`);
      let decoded: unknown;
      try {
        decoded = this.#codec.decodeClusterLoadAssignment(resource.value);
      } catch (error) {
        throw new Error(`resources[${index}]: malformed ClusterLoadAssignment (${error instanceof Error ? error.message : String(error)})`);
      }
      const assignment = record(decoded, `resources[${index}]`);
      if (assignment.cluster_name !== this.#options.cluster) continue;
      if (endpoints !== undefined) throw new Error(`resources[${index}]: "${this.#options.cluster}" appears twice`);
      endpoints = toEndpoints(assignment, this.#options.template, `resources[${index}]`);
    }
    return endpoints;
  }

  #onStreamClosed(error: Error): void {
    const delay = fullJitterBackoffMs(this.#attempt, this.#backoff.baseMs, this.#backoff.maxMs, this.#random);
    this.#attempt += 1;
    this.#timer = this.#clock.setTimeout(() => this.#connect(), delay);
    this.#listener?.onError(error);
  }

  #subscription(versionInfo: string, nonce: string): DiscoveryRequest {
    return { version_info: versionInfo, resource_names: [this.#options.cluster], type_url: EDS_TYPE_URL, response_nonce: nonce };
  }
}

// Everything below reads protobufjs `toObject` output (see xds-protos.ts):
// plain objects typed `unknown` here and narrowed field by field, so no
// cast reaches the rest of the resolver. With `defaults`, scalars are always
// present and unset messages are null.

type Fields = Readonly<Record<string, unknown>>;

/** Maps one ClusterLoadAssignment; throws an Error naming the offending field path. */
function toEndpoints(assignment: Fields, template: XdsResolverOptions["template"], at: string): EndpointConfig[] {
  const names = new Set<string>();
  const endpoints: EndpointConfig[] = [];
  for (const [i, rawGroup] of list(assignment.endpoints, `${at}.endpoints`).entries()) {
    const groupAt = `${at}.endpoints[${i}]`;
    const group = record(rawGroup, groupAt);
    const priority = integer(group.priority, `${groupAt}.priority`);
    const locality = localityOf(optionalRecord(group.locality, `${groupAt}.locality`), `${groupAt}.locality`);
    for (const [j, rawEndpoint] of list(group.lb_endpoints, `${groupAt}.lb_endpoints`).entries()) {
      const endpointAt = `${groupAt}.lb_endpoints[${j}]`;
      const lbEndpoint = record(rawEndpoint, endpointAt);
      // Validated before the health filter: a bad endpoint is a bad resource whatever its health.
      const { host, port } = socketAddress(lbEndpoint, endpointAt);
      const weight = weightOf(lbEndpoint.load_balancing_weight, `${endpointAt}.load_balancing_weight`);
      const labels = { ...template.labels, ...lbLabels(lbEndpoint.metadata, `${endpointAt}.metadata`) };
      const name = `${host}:${port}`;
      if (names.has(name)) throw new Error(`${endpointAt}: duplicate endpoint ${name}`);
      names.add(name);
      if (SKIPPED_HEALTH.has(text(lbEndpoint.health_status, `${endpointAt}.health_status`))) continue;
      endpoints.push({
        name,
        url: `${template.scheme}://${name}`,
        weight,
        priority,
        locality,
        // Sorted keys, so the serialized list compares equal whatever the metadata order.
        labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compare(a, b))),
        maxConcurrency: template.maxConcurrency,
      });
    }
  }
  return endpoints.sort((a, b) => compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function socketAddress(lbEndpoint: Fields, at: string): { host: string; port: number } {
  if (lbEndpoint.host_identifier !== "endpoint") throw new Error(`${at}: expected an endpoint (named endpoints are not supported)`);
  const endpoint = record(lbEndpoint.endpoint, `${at}.endpoint`);
  const address = record(endpoint.address, `${at}.endpoint.address`);
  const socket = optionalRecord(address.socket_address, `${at}.endpoint.address.socket_address`);
  if (socket === undefined) throw new Error(`${at}.endpoint.address: expected a socket_address`);
  const host = text(socket.address, `${at}.endpoint.address.socket_address.address`);
  if (host === "") throw new Error(`${at}.endpoint.address.socket_address.address: expected a host`);
  if (socket.port_specifier !== "port_value") {
    throw new Error(`${at}.endpoint.address.socket_address: expected a port_value (named ports are not supported)`);
  }
  const port = integer(socket.port_value, `${at}.endpoint.address.socket_address.port_value`);
  if (port < 1 || port > 65_535) throw new Error(`${at}.endpoint.address.socket_address.port_value: expected 1..65535, got ${port}`);
  return { host: host.includes(":") ? `[${host}]` : host, port };
}

/** A google.protobuf.UInt32Value: null when unset (weight 1); protoc-gen-validate requires >= 1 when set. */
function weightOf(value: unknown, at: string): number {
  const wrapper = optionalRecord(value, at);
  if (wrapper === undefined) return 1;
  const weight = integer(wrapper.value, `${at}.value`);
  if (weight < 1) throw new Error(`${at}: expected >= 1, got ${weight}`);
  return weight;
}

function localityOf(locality: Fields | undefined, at: string): string {
  if (locality === undefined) return "";
  return (["region", "zone", "sub_zone"] as const)
    .map((part) => text(locality[part], `${at}.${part}`))
    .filter((part) => part !== "")
    .join("/");
}

/** String fields of `filter_metadata["envoy.lb"]` (a google.protobuf.Struct); other kinds are ignored. */
function lbLabels(metadata: unknown, at: string): Record<string, string> {
  const filters = optionalRecord(optionalRecord(metadata, at)?.filter_metadata, `${at}.filter_metadata`);
  const struct = optionalRecord(filters?.["envoy.lb"], `${at}.filter_metadata["envoy.lb"]`);
  const fields = optionalRecord(struct?.fields, `${at}.filter_metadata["envoy.lb"].fields`) ?? {};
  const labels: Record<string, string> = {};
  for (const [key, raw] of Object.entries(fields)) {
    const value = record(raw, `${at}.filter_metadata["envoy.lb"].fields.${key}`);
    // protobufjs's bundled Value has camelCase fields; snake_case is accepted too in case that changes.
    const string = value.stringValue ?? value.string_value;
    if (typeof string === "string") labels[key] = string;
  }
  return labels;
}

function readResponse(raw: unknown): DiscoveryResponse {
  const response = record(raw, "response");
  return {
    versionInfo: text(response.version_info, "version_info"),
    nonce: text(response.nonce, "nonce"),
    typeUrl: text(response.type_url, "type_url"),
    resources: list(response.resources, "resources").map((rawAny, index) => {
      const any = record(rawAny, `resources[${index}]`);
      if (!(any.value instanceof Uint8Array)) throw new Error(`resources[${index}].value: expected bytes`);
      return { typeUrl: text(any.type_url, `resources[${index}].type_url`), value: any.value };
    }),
  };
}

function record(value: unknown, at: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${at}: expected a message`);
  return value as Fields;
}

function optionalRecord(value: unknown, at: string): Fields | undefined {
  return value === null || value === undefined ? undefined : record(value, at);
}

function list(value: unknown, at: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new Error(`${at}: expected a list`);
  return value;
}

function text(value: unknown, at: string): string {
  if (typeof value !== "string") throw new Error(`${at}: expected a string`);
  return value;
}

function integer(value: unknown, at: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`${at}: expected an integer`);
  return value;
}
