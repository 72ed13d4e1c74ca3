/**
 * API keys, held only as SHA-256 digests. A presented key is hashed once and
 * compared with every entry using `crypto.timingSafeEqual`: all digests have
 * the same length, every entry is compared whatever matched before, so the
 * time taken says nothing about how close a guess came, nor about its length.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeySettings } from "../config/auth-schema.js";
import type { Principal } from "./principal.js";

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/** The configured API keys. Immutable; build a new store to change keys. */
export class ApiKeyStore {
  readonly #entries: readonly Entry[];

  /** `keys` come from a validated configuration (sha256 is 64 hex characters). */
  constructor(keys: readonly ApiKeySettings[]) {
    this.#entries = keys.map((key) => {
      const digest = Buffer.from(key.sha256, "hex");
      if (digest.length !== 32) throw new TypeError(`API key "${key.name}": sha256 must be 64 hex characters`);
      return {
        digest,
        principal: Object.freeze({
          name: key.name,
          tenant: key.tenant,
          scopes: new Set(key.scopes),
          models: Object.freeze([...key.models]),
          credential: "api_key",
          limits: key.limits,
        }),
      };
    });
  }

  /** Number of keys. */
  get size(): number {
    return this.#entries.length;
  }

  /** The principal of `key`, or undefined when no entry matches. */
  lookup(key: string): Principal | undefined {
    const digest = createHash("sha256").update(key, "utf8").digest();
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      // No early exit: every entry costs the same comparison, match or not.
      const equal = timingSafeEqual(digest, entry.digest);
      found = equal && found === undefined ? entry.principal : found;
    }
    return found;
  }
}

/** The hex SHA-256 of a key, as configured in `auth.api_keys[].sha256`. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
