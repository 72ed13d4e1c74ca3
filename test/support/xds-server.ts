/**
 * An in-test xDS control plane: a grpc-js server on 127.0.0.1:0 serving
 * `AggregatedDiscoveryService/StreamAggregatedResources` from the Envoy
 * protos (loaded with @grpc/proto-loader's public API, so its codec is not
 * the resolver's). It records every DiscoveryRequest, pushes
 * ClusterLoadAssignments (or arbitrary Any payloads) to the open streams,
 * and can fail them. Every wait resolves on a server event and is bounded
 * by `timeoutMs`; nothing sleeps.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { EventWaits } from "./event-waits.js";
import { ADS_SERVICE, EDS_TYPE_URL, xdsCodec, xdsIncludeDirs } from "../../src/upstream/xds-protos.js";

/** One DiscoveryRequest as received, with the stream it came on (0 = the first stream). */
export interface RecordedRequest {
  readonly stream: number;
  readonly version_info: string;
  readonly node: { readonly id: string; readonly user_agent_name: string } | null;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail: { readonly code: number; readonly message: string } | null;
}

/** A plain ClusterLoadAssignment (snake_case, as protobufjs `fromObject` takes it). */
export type ClusterLoadAssignment = Record<string, unknown>;

/** An Any to push verbatim. */
export interface RawResource {
  readonly type_url: string;
  readonly value: Uint8Array;
}

type AdsCall = grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;

export class FakeXdsServer {
  readonly #server: grpc.Server;
  readonly #waits: EventWaits;
  readonly #requests: RecordedRequest[] = [];
  readonly #open = new Map<number, AdsCall>();
  /** Streams ever opened and streams ended by the client (cancelled or half-closed). */
  #opened = 0;
  readonly #clientEnded = new Set<number>();
  #nonce = 0;
  /** `127.0.0.1:port`, for the resolver's `server` option. */
  address = "";

  private constructor(timeoutMs: number) {
    this.#waits = new EventWaits(timeoutMs, "FakeXdsServer: ");
    this.#server = new grpc.Server();
    const definition = protoLoader.loadSync("envoy/service/discovery/v3/ads.proto", {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: xdsIncludeDirs(),
    });
    const service = definition[ADS_SERVICE];
    if (service === undefined || "format" in service) throw new Error(`${ADS_SERVICE} not found in ads.proto`);
    // proto-loader's ServiceDefinition is the untyped form of grpc-js's; the handler is typed by AdsCall.
    this.#server.addService(service as grpc.ServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.#onStream(call),
    });
  }

  /** Starts a server on an ephemeral loopback port. Waits are bounded by `timeoutMs` (default 5 s). */
  static async start(options: { timeoutMs?: number } = {}): Promise<FakeXdsServer> {
    const server = new FakeXdsServer(options.timeoutMs ?? 5_000);
    const port = await new Promise<number>((resolve, reject) =>
      server.#server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    server.address = `127.0.0.1:${port}`;
    return server;
  }

  /** Every request received so far, in arrival order. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Streams opened so far. */
  get streams(): number {
    return this.#opened;
  }

  /** The `index`-th request overall (0-based), once it has arrived. */
  request(index: number): Promise<RecordedRequest> {
    return this.#until(`request #${index}`, () => this.#requests[index]);
  }

  /** Resolves once stream `stream` has been cancelled or half-closed by the client. */
  clientEnded(stream: number): Promise<void> {
    return this.#until(`client end of stream #${stream}`, () => (this.#clientEnded.has(stream) ? true : undefined)).then(() => {});
  }

  /**
   * Sends `assignments` as an EDS response with `version` to every open
   * stream and returns its nonce. `raw` Anys are appended verbatim (to send
   * malformed bytes or a wrong type URL); `typeUrl` overrides the response's.
   */
  push(version: string, assignments: readonly ClusterLoadAssignment[], extra: { raw?: readonly RawResource[]; typeUrl?: string } = {}): string {
    if (this.#open.size === 0) throw new Error("FakeXdsServer.push: no open stream");
    const codec = xdsCodec();
    const nonce = `nonce-${++this.#nonce}`;
    const resources = [
      ...assignments.map((assignment) => ({ type_url: EDS_TYPE_URL, value: codec.encodeClusterLoadAssignment(assignment) })),
      ...(extra.raw ?? []),
    ];
    for (const call of this.#open.values()) {
      call.write({ version_info: version, resources, type_url: extra.typeUrl ?? EDS_TYPE_URL, nonce });
    }
    return nonce;
  }

  /** Ends every open stream with `code` (UNAVAILABLE by default), as a control plane restart would. */
  dropStreams(code: grpc.status = grpc.status.UNAVAILABLE): void {
    for (const [id, call] of this.#open) {
      this.#open.delete(id);
      call.emit("error", { code, details: "dropped by the test" });
    }
  }

  /** Stops at once; open streams fail on the client side. Pending waits run out their timeouts. */
  close(): void {
    this.#server.forceShutdown();
    this.#open.clear();
  }

  #onStream(call: AdsCall): void {
    const id = this.#opened++;
    this.#open.set(id, call);
    const ended = () => {
      this.#open.delete(id);
      this.#clientEnded.add(id);
      this.#notify();
    };
    call.on("data", (request: Record<string, unknown>) => {
      // proto-loader's objects are untyped; with `defaults`, every field of RecordedRequest is present.
      this.#requests.push({ stream: id, ...(request as Omit<RecordedRequest, "stream">) });
      this.#notify();
    });
    call.on("cancelled", ended);
    call.on("end", () => {
      ended();
      call.end();
    });
    // A stream failed by the client or by dropStreams; the status is already decided.
    call.on("error", () => {});
    this.#notify();
  }

  #notify(): void {
    this.#waits.notify();
  }

  #until<T>(what: string, probe: () => T | undefined): Promise<T> {
    return this.#waits.until(what, probe, () => ` (${this.#requests.length} requests so far)`);
  }

}
