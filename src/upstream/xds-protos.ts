/**
 * The Envoy v3 protos the xDS resolver speaks, loaded once, on first use
 * (parsing them takes tens of milliseconds, so importing this module costs
 * nothing until an xDS resolver is built).
 *
 * The .proto files are the copies `@grpc/grpc-js-xds` ships under its
 * `deps/` (envoy-api, xds, googleapis, protoc-gen-validate); the Google
 * well-known types come from protobufjs's bundled copies, which
 * `@grpc/proto-loader` registers when its entry module loads. We need real
 * message types, not only a gRPC service, because a DiscoveryResponse
 * carries its resources as `google.protobuf.Any` bytes that we decode
 * ourselves: so this uses proto-loader's `loadProtosWithOptionsSync`, which
 * returns the protobufjs Root. It is not proto-loader's public API, but it is
 * exactly what `@grpc/grpc-js-xds` itself uses (build/src/resources.js), so
 * the two break together if ever.
 */
import { createRequire } from "node:module";
import path from "node:path";
// Side effect: registers descriptor.proto and friends with protobufjs
// (validate.proto and the udpa annotations import descriptor.proto).
import "@grpc/proto-loader";
import { loadProtosWithOptionsSync } from "@grpc/proto-loader/build/src/util.js";

/** protobufjs types, named through proto-loader's signature so this project never imports protobufjs itself. */
type ProtoRoot = ReturnType<typeof loadProtosWithOptionsSync>;
type ProtoType = ReturnType<ProtoRoot["lookupType"]>;

/** Type URL of an EDS resource. */
export const EDS_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
/** Fully qualified name of the ADS service. */
export const ADS_SERVICE = "envoy.service.discovery.v3.AggregatedDiscoveryService";
/** HTTP/2 path of the one ADS method (bidirectional streaming). */
export const ADS_METHOD_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;

/**
 * How decoded messages become plain objects; the same choices grpc-js-xds
 * makes. Field names stay snake_case (`keepCase` at load time), 64-bit
 * integers become strings, enums their names, unset scalars their defaults,
 * unset messages null, and each oneof gets a property naming its set member.
 * Caveat: protobufjs's bundled `google.protobuf.Struct`/`Value` have
 * camelCase field names (`stringValue`, kind "stringValue").
 */
const TO_OBJECT = { longs: String, enums: String, defaults: true, oneofs: true } as const;

/** The message codecs the resolver (and the test control plane) need. */
export interface XdsCodec {
  /** DiscoveryRequest plain object → wire bytes. Throws on a field of the wrong type. */
  encodeRequest(request: object): Buffer;
  /** Wire bytes → DiscoveryRequest plain object. Throws on malformed bytes. */
  decodeRequest(bytes: Uint8Array): unknown;
  encodeResponse(response: object): Buffer;
  decodeResponse(bytes: Uint8Array): unknown;
  /** ClusterLoadAssignment plain object → bytes for an Any's `value`. */
  encodeClusterLoadAssignment(assignment: object): Buffer;
  /** An Any's `value` → ClusterLoadAssignment plain object. Throws on malformed bytes. */
  decodeClusterLoadAssignment(bytes: Uint8Array): unknown;
}

let codec: XdsCodec | undefined;
let includeDirs: string[] | undefined;

/**
 * The include path for the Envoy protos: `@grpc/grpc-js-xds`'s `deps/`
 * folders, found through module resolution (the package has no `exports`
 * map, so its main file locates it).
 */
export function xdsIncludeDirs(): string[] {
  if (includeDirs === undefined) {
    const main = createRequire(import.meta.url).resolve("@grpc/grpc-js-xds");
    const deps = path.join(path.dirname(main), "..", "..", "deps");
    includeDirs = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((dir) => path.join(deps, dir));
  }
  return includeDirs;
}

/** The codecs, loading the protos on the first call (synchronously; throws when they cannot be found). */
export function xdsCodec(): XdsCodec {
  if (codec === undefined) {
    const root = loadProtosWithOptionsSync(
      ["envoy/service/discovery/v3/ads.proto", "envoy/config/endpoint/v3/endpoint.proto"],
      { keepCase: true, includeDirs: xdsIncludeDirs() },
    );
    const request = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
    const response = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
    const assignment = root.lookupType("envoy.config.endpoint.v3.ClusterLoadAssignment");
    codec = {
      encodeRequest: (value) => encode(request, value),
      decodeRequest: (bytes) => decode(request, bytes),
      encodeResponse: (value) => encode(response, value),
      decodeResponse: (bytes) => decode(response, bytes),
      encodeClusterLoadAssignment: (value) => encode(assignment, value),
      decodeClusterLoadAssignment: (bytes) => decode(assignment, bytes),
    };
  }
  return codec;
}

function encode(type: ProtoType, value: object): Buffer {
  const bytes = type.encode(type.fromObject(value)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decode(type: ProtoType, bytes: Uint8Array): unknown {
  return type.toObject(type.decode(bytes), TO_OBJECT);
}
