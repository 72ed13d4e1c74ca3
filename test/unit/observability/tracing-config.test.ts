/**
 * The env -> tracing decision, as a table: tracing (and any connection to a
 * collector) stays off unless OTEL_* asks for an exporter.
 */
import { describe, expect, it } from "vitest";
import { tracingSettings } from "../../../src/observability/tracing-config.js";

describe("tracingSettings", () => {
  it.each([
    ["nothing set: off", {}, false, []],
    ["empty values count as unset", { OTEL_TRACES_EXPORTER: " ", OTEL_EXPORTER_OTLP_ENDPOINT: "" }, false, []],
    ["an OTLP endpoint turns OTLP on", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" }, true, ["otlp"]],
    ["a traces-only OTLP endpoint too", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4317/" }, true, ["otlp"]],
    ["OTEL_TRACES_EXPORTER=otlp (default endpoint)", { OTEL_TRACES_EXPORTER: "otlp" }, true, ["otlp"]],
    ["console", { OTEL_TRACES_EXPORTER: "console" }, true, ["console"]],
    ["a list, case and spaces ignored, duplicates dropped", { OTEL_TRACES_EXPORTER: " OTLP , console,otlp" }, true, ["otlp", "console"]],
    ["none wins over an endpoint", { OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" }, false, []],
    ["none in a list turns it off", { OTEL_TRACES_EXPORTER: "otlp,none" }, false, []],
    ["only unsupported exporters: off", { OTEL_TRACES_EXPORTER: "zipkin" }, false, []],
    ["an explicit list overrides the endpoint rule", { OTEL_TRACES_EXPORTER: "console", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317" }, true, ["console"]],
    ["OTEL_SDK_DISABLED=true wins", { OTEL_SDK_DISABLED: "TRUE", OTEL_TRACES_EXPORTER: "otlp" }, false, []],
    ["OTEL_SDK_DISABLED=false is ignored", { OTEL_SDK_DISABLED: "false", OTEL_TRACES_EXPORTER: "otlp" }, true, ["otlp"]],
  ])("%s", (_name, env, enabled, exporters) => {
    const settings = tracingSettings(env);
    expect(settings.enabled).toBe(enabled);
    expect(settings.exporters).toEqual(exporters);
    expect(settings.reason).not.toBe("");
  });

  it.each([
    ["default: gRPC", {}, "grpc"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }, "http/protobuf"],
    ["the traces variable wins", { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" }, "http/json"],
    ["unsupported: gRPC", { OTEL_EXPORTER_OTLP_PROTOCOL: "carrier-pigeon" }, "grpc"],
  ])("OTLP protocol, %s", (_name, env, protocol) => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: "otlp", ...env }).protocol).toBe(protocol);
  });

  it.each([
    ["default: W3C trace context, baggage and B3", {}, ["tracecontext", "baggage", "b3"]],
    ["an explicit list", { OTEL_PROPAGATORS: "b3multi,tracecontext" }, ["b3multi", "tracecontext"]],
    ["none", { OTEL_PROPAGATORS: "none" }, []],
    ["unsupported names are dropped", { OTEL_PROPAGATORS: "tracecontext,xray" }, ["tracecontext"]],
  ])("propagators, %s", (_name, env, propagators) => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: "otlp", ...env }).propagators).toEqual(propagators);
  });

  it.each([
    ["default", {}, "ollama-grpc-gateway"],
    ["OTEL_SERVICE_NAME", { OTEL_SERVICE_NAME: "gw-eu" }, "gw-eu"],
    ["service.name in OTEL_RESOURCE_ATTRIBUTES", { OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,service.name=gw%20eu" }, "gw eu"],
    ["OTEL_SERVICE_NAME wins over resource attributes", { OTEL_SERVICE_NAME: "a", OTEL_RESOURCE_ATTRIBUTES: "service.name=b" }, "a"],
  ])("service name, %s", (_name, env, serviceName) => {
    expect(tracingSettings(env).serviceName).toBe(serviceName);
  });

  it("reports the sampler the SDK will read, and every ignored value", () => {
    expect(tracingSettings({}).sampler).toBe("parentbased_always_on");
    const settings = tracingSettings({
      OTEL_TRACES_EXPORTER: "otlp,jaeger",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_EXPORTER_OTLP_PROTOCOL: "udp",
      OTEL_PROPAGATORS: "tracecontext,ottrace",
    });
    expect(settings.sampler).toBe("parentbased_traceidratio");
    expect(settings.warnings).toHaveLength(3);
    expect(settings.warnings.join("\n")).toMatch(/jaeger[\s\S]*udp[\s\S]*ottrace/);
  });
});
