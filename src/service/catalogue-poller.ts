/**
 * Keeps the pool's view of what each backend holds: every
 * `intervalMs`, GET /api/tags (installed) and /api/ps (resident) per backend,
 * turned into model keys for the pool. A backend that fails to answer keeps
 * its last known catalogue (health checks decide whether it is usable).
 * `refresh()` polls at once, e.g. after a pull or delete through the gateway.
 */
import { linkSignals } from "../common/abort.js";
import { modelKey } from "../ollama/model-name.js";
import type { Clock } from "../upstream/types.js";
import type { Fleet, PickedBackend } from "./fleet.js";

export class CataloguePoller {
  readonly #fleet: Fleet;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #timer: { clear(): void } | undefined;
  #stopped = false;
  readonly #controller = new AbortController();

  constructor(fleet: Fleet, clock: Clock, intervalMs: number, timeoutMs: number) {
    this.#fleet = fleet;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Polls now, then every interval. Resolves after the first round. */
  async start(): Promise<void> {
    await this.refresh();
    this.#schedule();
  }

  /** Polls the named backends now (all when omitted). Never rejects. */
  async refresh(names?: readonly string[]): Promise<void> {
    const targets = this.#fleet.all().filter((b) => names === undefined || names.includes(b.endpoint.name));
    await Promise.all(targets.map((backend) => this.#poll(backend)));
  }

  /** Stops polling and aborts polls in flight. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.clear();
    this.#controller.abort();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, this.#intervalMs);
  }

  async #poll({ endpoint, client }: PickedBackend): Promise<void> {
    const linked = linkSignals(this.#controller.signal);
    const timer = setTimeout(() => linked.controller.abort(), this.#timeoutMs);
    const signal = linked.signal;
    try {
      const [tags, ps] = await Promise.all([
        client.json("GET", "/api/tags", undefined, signal),
        client.json("GET", "/api/ps", undefined, signal),
      ]);
      this.#fleet.pool.setCatalogue(endpoint.name, keysOf(tags.models), keysOf(ps.models));
    } catch {
      // Keep the last known catalogue; the health checker judges reachability.
    } finally {
      clearTimeout(timer);
      linked.cleanup();
    }
  }
}

function keysOf(list: unknown): Set<string> {
  const keys = new Set<string>();
  if (!Array.isArray(list)) return keys;
  for (const entry of list as Array<{ name?: unknown; model?: unknown }>) {
    const name = typeof entry.name === "string" ? entry.name : typeof entry.model === "string" ? entry.model : "";
    if (name !== "") keys.add(modelKey(name));
  }
  return keys;
}
