/**
 * Assembles the fleet from configuration: one OllamaClient per endpoint, the
 * upstream pool with the configured policy, active health checks, outlier
 * detection and the catalogue poller, all wired together (the retry budget
 * is the gateway's, shared by every cluster: see ClusterRouter):
 *
 *   health checker --health--> pool <--outcome-- attempts
 *   outlier detector <--outcome-- pool ; outlier --eject/uneject--> pool
 *   catalogue poller --models present/resident--> pool
 */
import type { Config, EndpointSettings } from "../config/schema.js";
import { OllamaClient, type OllamaClientOptions } from "../ollama/client.js";
import { LearnedCosts } from "../upstream/cost-model.js";
import { HealthChecker } from "../upstream/health-checker.js";
import { OutlierDetector } from "../upstream/outlier-detector.js";
import { SuccessRateDetector } from "../upstream/success-rate-detector.js";
import { modelAwarePolicyFactory } from "../upstream/policies/model-aware.js";
import { createPolicyRegistry } from "../upstream/policies/registry.js";
import { UpstreamPool } from "../upstream/pool.js";
import { systemClock, type Clock, type EndpointConfig } from "../upstream/types.js";
import { CataloguePoller } from "./catalogue-poller.js";
import { Fleet } from "./fleet.js";

/** A running fleet and what it needs to stop. */
export interface FleetRuntime {
  fleet: Fleet;
  poller: CataloguePoller;
  /** Applies a new endpoint list (hot reload). */
  setEndpoints(endpoints: readonly EndpointSettings[]): void;
  /** JSON for the admin status page. */
  status(): Record<string, unknown>;
  /** Subscribes to state changes (endpoints, health, ejection, catalogues). */
  onChange(listener: () => void): void;
  /** Outlier ejections of `backend` since start. */
  ejections(backend: string): number;
  /** Stops health checks, polling and timers, then closes the clients (waiting unless `force`). */
  close(force: boolean): Promise<void>;
}

/** The names of the load-balancing policies this build knows. */
export function policyNames(): string[] {
  return createPolicyRegistry([modelAwarePolicyFactory]).names();
}

/** Builds the fleet; throws an Error naming the field when the policy or its config is invalid. */
export function createFleet(config: Config, clientOptions: OllamaClientOptions, clock: Clock = systemClock, random: () => number = Math.random): FleetRuntime {
  const registry = createPolicyRegistry([modelAwarePolicyFactory]);
  const factory = registry.get(config.balancing.policy);
  if (factory === undefined) {
    throw new Error(`balancing.policy: unknown policy "${config.balancing.policy}" (known: ${registry.names().join(", ")})`);
  }
  const costs = new LearnedCosts(config.balancing.coldLoadEstimateMs, config.balancing.serviceTimeEstimateMs);
  const policy = factory.create(factory.parseConfig(config.balancing.policyConfig), { random, costs });
  const endpoints = config.backends.map(toEndpointConfig);

  let outlier: OutlierDetector | undefined;
  let statistics: SuccessRateDetector | undefined;
  let health: HealthChecker | undefined;
  const changeListeners: Array<() => void> = [];
  const pool = new UpstreamPool(endpoints, {
    policy,
    clock,
    costs,
    panicThresholdPercent: config.balancing.panicThresholdPercent,
    queue: config.queue,
    onStateChange: () => {
      for (const listener of changeListeners) listener();
    },
    onOutcome(name, outcome) {
      outlier?.record(name, outcome);
      statistics?.record(name, outcome);
      if (outcome === "local_failure") health?.checkNow(name); // notice a dead backend without waiting an interval
    },
  });
  outlier = new OutlierDetector({
    clock,
    config: config.outlierDetection,
    onEject: (name) => pool.setEjected(name, true),
    onUneject: (name) => pool.setEjected(name, false),
  });
  const od = config.outlierDetection;
  statistics = new SuccessRateDetector({
    clock,
    config: {
      intervalMs: od.intervalMs,
      ...(od.successRate.enabled && { successRate: od.successRate }),
      ...(od.failurePercentage.enabled && { failurePercentage: od.failurePercentage }),
    },
    eject: (name) => outlier?.eject(name),
  });
  const fleet = new Fleet(pool, endpoints, (endpoint) => new OllamaClient(endpoint.name, endpoint.url, clientOptions));
  const poller = new CataloguePoller(fleet, clock, config.catalogue.refreshIntervalMs, config.upstream.metadataTimeoutMs);
  if (config.healthCheck.enabled) {
    health = new HealthChecker({
      clock,
      random,
      config: config.healthCheck,
      probe: async (name, signal) => {
        const backend = fleet.byName(name);
        if (backend === undefined) throw new Error(`unknown backend ${name}`);
        await backend.client.json("GET", "/api/version", undefined, signal);
      },
      onChange(name, state) {
        pool.setHealth(name, state);
        if (state === "healthy") void poller.refresh([name]); // a recovered backend may hold new models
      },
    });
  }
  const names = () => pool.endpoints().filter((e) => !e.draining).map((e) => e.name);
  health?.setEndpoints(names());
  outlier.setEndpoints(names());

  return {
    fleet,
    poller,
    setEndpoints(settings) {
      fleet.setEndpoints(settings.map(toEndpointConfig));
      health?.setEndpoints(names());
      outlier?.setEndpoints(names());
      void poller.refresh();
    },
    onChange(listener) {
      changeListeners.push(listener);
    },
    ejections: (backend) => outlier?.stats(backend)?.ejections ?? 0,
    status() {
      const base = pool.status();
      const endpointsStatus = (base.endpoints as Array<Record<string, unknown>>).map((e) => {
        const name = e.name as string;
        return { ...e, healthCheck: health?.stats(name) ?? null, outlier: outlier?.stats(name) ?? null };
      });
      return { ...base, endpoints: endpointsStatus };
    },
    async close(force) {
      health?.stop();
      outlier?.stop();
      statistics?.stop();
      poller.stop();
      await fleet.close(force);
    },
  };
}

function toEndpointConfig(settings: EndpointSettings): EndpointConfig {
  return { ...settings };
}
