/**
 * What the standard OTEL_* environment asks of tracing: the pure half of
 * tracing start-up (tracing-sdk.ts acts on it). No OpenTelemetry import, no
 * I/O, so the decision table is unit-tested on its own.
 *
 * The rule (documented in the README):
 * - `OTEL_SDK_DISABLED=true` turns tracing off, whatever else is set.
 * - `OTEL_TRACES_EXPORTER` set: its list decides (`otlp`, `console`; `none`
 *   turns tracing off; other names are ignored with a warning).
 * - Otherwise an OTLP endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_ENDPOINT`) turns on the OTLP exporter.
 * - Otherwise tracing is off: no SDK, no spans, no connection attempts.
 */

/** Exporters the gateway sets up itself. */
export type TraceExporterName = "otlp" | "console";
/** OTLP transports (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`). */
export type OtlpProtocol = "grpc" | "http/protobuf" | "http/json";
/** Propagation formats (`OTEL_PROPAGATORS`). `b3` injects the single `b3` header; both extract single and multi headers. */
export type PropagatorName = "tracecontext" | "baggage" | "b3" | "b3multi";

/** The decision, with what the start-up log needs to explain it. */
export interface TracingSettings {
  enabled: boolean;
  /** Why tracing is on or off, in a few words. */
  reason: string;
  exporters: TraceExporterName[];
  protocol: OtlpProtocol;
  /** The resource's `service.name`. */
  serviceName: string;
  propagators: PropagatorName[];
  /** `OTEL_TRACES_SAMPLER` as given, or the SDK default; the SDK itself reads it (and `OTEL_TRACES_SAMPLER_ARG`). */
  sampler: string;
  /** Values that were ignored, one sentence each. */
  warnings: string[];
}

export const DEFAULT_SERVICE_NAME = "ollama-grpc-gateway";
/** Default `OTEL_PROPAGATORS`: W3C trace context and baggage, plus B3 (Istio, Envoy, Zipkin). */
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ["tracecontext", "baggage", "b3"];
/** Default OTLP transport: gRPC (collector port 4317). The specification's default would be http/protobuf. */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = "grpc";

const EXPORTERS: readonly string[] = ["otlp", "console"];
const PROTOCOLS: readonly string[] = ["grpc", "http/protobuf", "http/json"];
const PROPAGATORS: readonly string[] = ["tracecontext", "baggage", "b3", "b3multi"];

/** Reads the tracing settings from `env` (only OTEL_* variables). */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  const warnings: string[] = [];
  const settings = (enabled: boolean, reason: string, exporters: TraceExporterName[]): TracingSettings => ({
    enabled,
    reason,
    exporters,
    protocol: protocolOf(env, warnings),
    serviceName: serviceNameOf(env),
    propagators: propagatorsOf(env, warnings),
    sampler: text(env.OTEL_TRACES_SAMPLER) ?? "parentbased_always_on",
    warnings,
  });
  if (text(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true") return settings(false, "OTEL_SDK_DISABLED=true", []);
  const listed = list(env.OTEL_TRACES_EXPORTER);
  if (listed !== undefined) {
    if (listed.includes("none")) return settings(false, "OTEL_TRACES_EXPORTER=none", []);
    const unknown = listed.filter((name) => !EXPORTERS.includes(name));
    if (unknown.length > 0) warnings.push(`OTEL_TRACES_EXPORTER: ignoring ${unknown.join(", ")} (supported: otlp, console, none)`);
    const exporters = [...new Set(listed.filter((name) => EXPORTERS.includes(name)))] as TraceExporterName[];
    return exporters.length > 0
      ? settings(true, `OTEL_TRACES_EXPORTER=${exporters.join(",")}`, exporters)
      : settings(false, "OTEL_TRACES_EXPORTER names no supported exporter", []);
  }
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] as const) {
    if (text(env[name]) !== undefined) return settings(true, `${name} is set`, ["otlp"]);
  }
  return settings(false, "no OTEL_TRACES_EXPORTER or OTLP endpoint set", []);
}

function protocolOf(env: NodeJS.ProcessEnv, warnings: string[]): OtlpProtocol {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] as const) {
    const value = text(env[name]);
    if (value === undefined) continue;
    if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
    warnings.push(`${name}: unsupported protocol ${JSON.stringify(value)}; using ${DEFAULT_OTLP_PROTOCOL}`);
    return DEFAULT_OTLP_PROTOCOL;
  }
  return DEFAULT_OTLP_PROTOCOL;
}

function propagatorsOf(env: NodeJS.ProcessEnv, warnings: string[]): PropagatorName[] {
  const listed = list(env.OTEL_PROPAGATORS);
  if (listed === undefined) return [...DEFAULT_PROPAGATORS];
  if (listed.includes("none")) return [];
  const unknown = listed.filter((name) => !PROPAGATORS.includes(name));
  if (unknown.length > 0) warnings.push(`OTEL_PROPAGATORS: ignoring ${unknown.join(", ")} (supported: tracecontext, baggage, b3, b3multi, none)`);
  return [...new Set(listed.filter((name) => PROPAGATORS.includes(name)))] as PropagatorName[];
}

/** OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES, else the default. */
function serviceNameOf(env: NodeJS.ProcessEnv): string {
  const direct = text(env.OTEL_SERVICE_NAME);
  if (direct !== undefined) return direct;
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",")) {
    const [key, value] = pair.split("=", 2).map((part) => part.trim());
    if (key === "service.name" && value !== undefined && value !== "") {
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return DEFAULT_SERVICE_NAME;
}

/** A comma-separated list, trimmed and lower-cased; undefined when unset or empty (the spec treats both alike). */
function list(value: string | undefined): string[] | undefined {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "");
  return items.length === 0 ? undefined : items;
}

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
