/**
 * Prometheus metrics (prom-client, on the gateway's own registry, served at
 * the admin endpoint's /metrics). Per-call metrics are fed by the access-log
 * middleware's end-of-call summary, so each call is timed once; fleet
 * metrics (slots, health, queue, ejections) are read from the pools at
 * scrape time. Label values a caller controls (model names, principals)
 * are bounded: past `maxLabelValues` distinct values per label, new ones
 * are counted as "other".
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { isUsable, type EndpointView } from "../upstream/types.js";

/** What the metrics learn from one finished call. */
export interface CallSummary {
  method: string;
  code: string;
  /** The door the call came in by: "grpc", or an HTTP front door ("ollama", "openai"). */
  door?: string | undefined;
  durationMs: number;
  ttftMs?: number | undefined;
  model?: string | undefined;
  chunksOut: number;
  promptTokens?: number | undefined;
  completionTokens?: number | undefined;
  retries?: number | undefined;
  queueWaitMs?: number | undefined;
}

/** A cluster as the metrics see it at scrape time. */
export interface ClusterGauges {
  name: string;
  endpoints(): EndpointView[];
  queueLength(): number;
  /** Cumulative ejections per backend. */
  ejections(backend: string): number;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const PER_TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "code" | "door">;
  readonly #duration: Histogram<"method">;
  readonly #ttft: Histogram<"method" | "model">;
  readonly #perToken: Histogram<"model">;
  readonly #tokens: Counter<"model" | "direction">;
  readonly #retries: Counter<"method">;
  readonly #queueWait: Histogram<"method">;
  readonly #quotaRejections: Counter<"principal" | "limit">;
  readonly #quotaStoreErrors: Counter<"operation">;
  readonly #models = new Set<string>();
  readonly #principals = new Set<string>();
  readonly #maxLabelValues: number;
  #clusters: readonly ClusterGauges[] = [];

  constructor(maxLabelValues = 100) {
    this.#maxLabelValues = maxLabelValues;
    const registers = [this.registry];
    this.#requests = new Counter({ name: "ollama_grpc_requests_total", help: "RPCs handled, by method, gRPC status code and door (grpc, ollama, openai).", labelNames: ["method", "code", "door"], registers });
    this.#duration = new Histogram({ name: "ollama_grpc_request_duration_seconds", help: "RPC duration, from call start to status.", labelNames: ["method"], buckets: DURATION_BUCKETS, registers });
    this.#ttft = new Histogram({ name: "ollama_grpc_time_to_first_token_seconds", help: "Time from call start to the first streamed message (includes queueing and model load).", labelNames: ["method", "model"], buckets: DURATION_BUCKETS, registers });
    this.#perToken = new Histogram({ name: "ollama_grpc_time_per_output_token_seconds", help: "Mean time between streamed messages after the first, per call.", labelNames: ["model"], buckets: PER_TOKEN_BUCKETS, registers });
    this.#tokens = new Counter({ name: "ollama_grpc_tokens_total", help: "Tokens Ollama reported, by model and direction (input = prompt, output = generated).", labelNames: ["model", "direction"], registers });
    this.#retries = new Counter({ name: "ollama_grpc_retries_total", help: "Attempts made on another backend before the first token.", labelNames: ["method"], registers });
    this.#quotaRejections = new Counter({
      name: "ollama_grpc_quota_rejections_total",
      help: "Calls refused or cut by a quota, by principal (the first 100 seen; later ones as \"other\") and limit kind.",
      labelNames: ["principal", "limit"],
      registers,
    });
    this.#quotaStoreErrors = new Counter({
      name: "ollama_grpc_quota_store_errors_total",
      help: "Quota store operations that failed (the fail-open/closed policy applied), by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.#queueWait = new Histogram({ name: "ollama_grpc_queue_wait_seconds", help: "Time calls waited in the gateway queue for a backend slot.", labelNames: ["method"], buckets: DURATION_BUCKETS, registers });
    const gauges = this;
    const backendGauge = (name: string, help: string, value: (e: EndpointView) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["cluster", "backend"],
        registers,
        collect() {
          this.reset();
          for (const c of gauges.#clusters) for (const e of c.endpoints()) this.set({ cluster: c.name, backend: e.name }, value(e));
        },
      });
    backendGauge("ollama_grpc_backend_in_flight", "Calls in flight per backend.", (e) => e.inFlight);
    backendGauge("ollama_grpc_backend_slots", "Slots (max_concurrency) per backend.", (e) => e.maxConcurrency);
    backendGauge("ollama_grpc_backend_up", "1 when the backend is usable (passing health checks, not ejected, not draining), else 0.", (e) => (isUsable(e) ? 1 : 0));
    new Counter({
      name: "ollama_grpc_backend_ejections_total",
      help: "Outlier ejections per backend since start.",
      labelNames: ["cluster", "backend"],
      registers,
      collect() {
        this.reset();
        for (const c of gauges.#clusters) for (const e of c.endpoints()) this.inc({ cluster: c.name, backend: e.name }, c.ejections(e.name));
      },
    });
    new Gauge({
      name: "ollama_grpc_queue_length",
      help: "Calls waiting in the gateway queue, per cluster.",
      labelNames: ["cluster"],
      registers,
      collect() {
        this.reset();
        for (const c of gauges.#clusters) this.set({ cluster: c.name }, c.queueLength());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The clusters whose gauges are read at scrape time. */
  bindClusters(clusters: readonly ClusterGauges[]): void {
    this.#clusters = clusters;
  }

  /** Records one finished call. */
  observeCall(call: CallSummary): void {
    this.#requests.inc({ method: call.method, code: call.code, door: call.door ?? "grpc" });
    this.#duration.observe({ method: call.method }, call.durationMs / 1000);
    if (call.retries !== undefined && call.retries > 0) this.#retries.inc({ method: call.method }, call.retries);
    if (call.queueWaitMs !== undefined) this.#queueWait.observe({ method: call.method }, call.queueWaitMs / 1000);
    if (call.model === undefined) return;
    const model = this.#modelLabel(call.model);
    if (call.ttftMs !== undefined) {
      this.#ttft.observe({ method: call.method, model }, call.ttftMs / 1000);
      if (call.chunksOut > 1) this.#perToken.observe({ model }, (call.durationMs - call.ttftMs) / 1000 / (call.chunksOut - 1));
    }
    if (call.promptTokens !== undefined && call.promptTokens > 0) this.#tokens.inc({ model, direction: "input" }, call.promptTokens);
    if (call.completionTokens !== undefined && call.completionTokens > 0) this.#tokens.inc({ model, direction: "output" }, call.completionTokens);
  }

  /** Records a call refused or cut by a quota. */
  quotaRejected(principal: string, limit: string): void {
    this.#quotaRejections.inc({ principal: this.#bounded(this.#principals, principal), limit });
  }

  /** Records a failed quota store operation. */
  quotaStoreError(operation: string): void {
    this.#quotaStoreErrors.inc({ operation });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #modelLabel(model: string): string {
    return this.#bounded(this.#models, model);
  }

  /** `value` while fewer than the cap have been seen, "other" after: label cardinality stays bounded. */
  #bounded(seen: Set<string>, value: string): string {
    if (seen.has(value)) return value;
    if (seen.size >= this.#maxLabelValues) return "other";
    seen.add(value);
    return value;
  }
}
