/**
 * DNS discovery, for a Kubernetes headless Service (one A/AAAA record per
 * ready pod): the name is re-resolved periodically, as soon as the answer's
 * TTL allows (clamped), and the listener hears only of changes. This module
 * knows nothing of gRPC or Ollama; the port, scheme and the rest of each
 * endpoint come from an {@link EndpointTemplate}.
 *
 * Rules:
 * - Next lookup after an answer: `clamp(min TTL × 1000, minRefreshMs,
 *   maxRefreshMs)`; after an empty answer (no TTL to go by): `minRefreshMs`.
 * - After the n-th consecutive failure: `min(maxRefreshMs, minRefreshMs ×
 *   2^(n−1))`, no jitter; an answer resets the count. Each failure calls
 *   `onError` and the last list stays in force.
 * - NXDOMAIN is a failure, not an empty fleet. The Kubernetes DNS spec
 *   answers NXDOMAIN for a headless Service with no ready endpoints
 *   (kubernetes/dns#245), but so does a typo and so do transient CoreDNS
 *   glitches (coredns/coredns#6518); keeping the last list is the safe side,
 *   and the health checker takes pods that are really gone out of rotation.
 *   An empty list is delivered only when the name exists with no addresses
 *   (NODATA for both families).
 */
import { resolve4, resolve6 } from "node:dns/promises";
import type { EndpointTemplate, Resolver, ResolverListener } from "./resolver.js";
import type { Clock, EndpointConfig } from "./types.js";

/** One address record of a name. */
export interface DnsRecord {
  readonly address: string;
  /** Remaining time to live, in seconds. */
  readonly ttl: number;
  readonly family: 4 | 6;
}

/**
 * Resolves every address (A and AAAA) of `hostname`. Resolves with an empty
 * array only when the name exists with no addresses; rejects when the name
 * does not exist (NXDOMAIN, code ENOTFOUND) or resolution failed.
 */
export type DnsLookup = (hostname: string) => Promise<readonly DnsRecord[]>;

/** The two queries {@link createDnsLookup} combines (the shape of `node:dns/promises`). */
export interface AddressQueries {
  resolve4(hostname: string, options: { ttl: true }): Promise<ReadonlyArray<{ address: string; ttl: number }>>;
  resolve6(hostname: string, options: { ttl: true }): Promise<ReadonlyArray<{ address: string; ttl: number }>>;
}

/** Node's codes for "this family has no records" (NODATA) and "the name does not exist" (NXDOMAIN). */
const NODATA = "ENODATA";
const NXDOMAIN = "ENOTFOUND";

/**
 * Builds a {@link DnsLookup} that asks for A and AAAA together. A name may
 * have one family only: NODATA or NXDOMAIN for one family is ignored when
 * the other has records. Any other failure of either query fails the lookup
 * even when the other family answered, since a partial answer would drop
 * the other family's endpoints from the fleet (the last list is kept
 * instead). With no records at all, NXDOMAIN from either query fails the
 * lookup and NODATA from both is the valid empty answer.
 */
export function createDnsLookup(queries: AddressQueries): DnsLookup {
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([
      queries.resolve4(hostname, { ttl: true }),
      queries.resolve6(hostname, { ttl: true }),
    ]);
    const records: DnsRecord[] = [];
    if (v4.status === "fulfilled") for (const { address, ttl } of v4.value) records.push({ address, ttl, family: 4 });
    if (v6.status === "fulfilled") for (const { address, ttl } of v6.value) records.push({ address, ttl, family: 6 });
    const failures = [v4, v6].flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
    const hard = failures.find((reason) => errorCode(reason) !== NODATA && errorCode(reason) !== NXDOMAIN);
    if (hard !== undefined) throw hard;
    if (records.length > 0) return records;
    const missing = failures.find((reason) => errorCode(reason) === NXDOMAIN);
    if (missing !== undefined) throw missing;
    return records;
  };
}

/** The system resolver (`node:dns/promises`, i.e. c-ares and /etc/resolv.conf). */
export const defaultDnsLookup: DnsLookup = createDnsLookup({ resolve4, resolve6 });

export interface DnsResolverOptions {
  /** The name to resolve, e.g. "ollama.llm.svc.cluster.local". */
  readonly hostname: string;
  /** Everything but the address of each discovered endpoint. */
  readonly template: EndpointTemplate;
  readonly clock: Clock;
  /** Shortest time between lookups, and the first retry delay, in ms (> 0; default 5000). */
  readonly minRefreshMs?: number;
  /** Longest time between lookups, and the retry cap, in ms (>= minRefreshMs; default 60000). */
  readonly maxRefreshMs?: number;
  /** Defaults to {@link defaultDnsLookup}. */
  readonly lookup?: DnsLookup;
}

/** {@link DnsResolverOptions} with defaults applied. */
export type DnsResolverSettings = Required<DnsResolverOptions>;

/**
 * Applies defaults and validates; throws a RangeError naming the field.
 * @internal exported for tests.
 */
export function dnsResolverSettings(options: DnsResolverOptions): DnsResolverSettings {
  const settings: DnsResolverSettings = {
    minRefreshMs: 5_000,
    maxRefreshMs: 60_000,
    lookup: defaultDnsLookup,
    ...definedOnly(options),
  };
  if (typeof settings.hostname !== "string" || settings.hostname.trim() === "") {
    throw new RangeError(`dns.hostname: expected a non-empty string, got ${JSON.stringify(settings.hostname)}`);
  }
  if (!(Number.isFinite(settings.minRefreshMs) && settings.minRefreshMs > 0)) {
    throw new RangeError(`dns.minRefreshMs: expected a finite number > 0, got ${settings.minRefreshMs}`);
  }
  if (!(Number.isFinite(settings.maxRefreshMs) && settings.maxRefreshMs >= settings.minRefreshMs)) {
    throw new RangeError(`dns.maxRefreshMs: expected a finite number >= minRefreshMs (${settings.minRefreshMs}), got ${settings.maxRefreshMs}`);
  }
  return settings;
}

/**
 * A {@link Resolver} over DNS. One lookup runs at a time; the first starts
 * in `start` and its result, like every other, reaches the listener from a
 * promise continuation, never synchronously. Endpoints are named
 * `address:port` (`[address]:port` for IPv6) and sorted by name, so an
 * answer in a different order is no change. The listener must not throw: a
 * throw surfaces as an unhandled rejection (re-resolution carries on).
 */
export class DnsResolver implements Resolver {
  readonly #settings: DnsResolverSettings;
  #listener: ResolverListener | undefined;
  #stopped = false;
  #timer: { clear(): void } | undefined;
  /** Names of the list last delivered; undefined before the first answer. */
  #delivered: string[] | undefined;
  #consecutiveFailures = 0;

  constructor(options: DnsResolverOptions) {
    this.#settings = dnsResolverSettings(options);
  }

  /** Starts the first lookup. Throws when called twice (or after `stop`). */
  start(listener: ResolverListener): void {
    if (this.#listener !== undefined || this.#stopped) throw new Error("DnsResolver: start may be called only once");
    this.#listener = listener;
    this.#lookupNow();
  }

  /** Clears the timer; a lookup in flight delivers nothing. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.clear();
    this.#timer = undefined;
  }

  #lookupNow(): void {
    this.#timer = undefined;
    let answer: Promise<readonly DnsRecord[]>;
    try {
      answer = this.#settings.lookup(this.#settings.hostname);
    } catch (error) {
      answer = Promise.reject(error);
    }
    void answer.then(
      (records) => {
        if (!this.#stopped) this.#onAnswer(records);
      },
      (reason: unknown) => {
        if (!this.#stopped) this.#onFailure(reason);
      },
    );
  }

  #onAnswer(records: readonly DnsRecord[]): void {
    this.#consecutiveFailures = 0;
    const { minRefreshMs, maxRefreshMs, template } = this.#settings;
    // An empty answer has no TTL: look again soon, as pods may be on their way.
    const ttlMs = records.reduce((least, record) => Math.min(least, record.ttl * 1000), Infinity);
    this.#schedule(records.length === 0 ? minRefreshMs : clamp(ttlMs, minRefreshMs, maxRefreshMs));
    const endpoints = toEndpoints(records, template);
    const names = endpoints.map((endpoint) => endpoint.name);
    if (this.#delivered !== undefined && sameNames(this.#delivered, names)) return;
    this.#delivered = names;
    this.#listener?.onEndpoints(endpoints);
  }

  #onFailure(reason: unknown): void {
    this.#consecutiveFailures += 1;
    const { minRefreshMs, maxRefreshMs, hostname } = this.#settings;
    // The exponent is capped so 2^n stays finite; the cap on the delay applies long before.
    this.#schedule(Math.min(maxRefreshMs, minRefreshMs * 2 ** Math.min(this.#consecutiveFailures - 1, 30)));
    this.#listener?.onError(reason instanceof Error ? reason : new Error(`dns: resolving ${hostname} failed: ${String(reason)}`));
  }

  #schedule(delayMs: number): void {
    this.#timer = this.#settings.clock.setTimeout(() => this.#lookupNow(), delayMs);
  }
}

/** One endpoint per distinct address, sorted by name. */
function toEndpoints(records: readonly DnsRecord[], template: EndpointTemplate): EndpointConfig[] {
  const byName = new Map<string, EndpointConfig>();
  for (const record of records) {
    const host = record.family === 6 ? `[${record.address}]` : record.address;
    const name = `${host}:${template.port}`;
    byName.set(name, {
      name,
      url: `${template.scheme}://${name}`,
      weight: template.weight,
      priority: template.priority,
      maxConcurrency: template.maxConcurrency,
      labels: { ...template.labels },
      locality: "",
    });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `value` within [min, max]; NaN (a bad TTL from an injected lookup) counts as `min`. */
function clamp(value: number, min: number, max: number): number {
  return Number.isNaN(value) ? min : Math.min(max, Math.max(min, value));
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

function errorCode(reason: unknown): unknown {
  return typeof reason === "object" && reason !== null ? (reason as { code?: unknown }).code : undefined;
}

/** Drops keys whose value is undefined, so they do not override defaults in a spread. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
