/**
 * SPIFFE workload identities as credentials: the URI SAN of a verified TLS
 * client certificate (what Istio issues: spiffe://<trust domain>/ns/<ns>/sa/<sa>),
 * or, behind an Envoy sidecar that terminates mTLS, the `URI=` of the
 * `x-forwarded-client-cert` (XFCC) header Envoy sets. XFCC can be forged by
 * anyone who reaches the gateway directly, so it is read only when
 * configured (`auth.spiffe.trust_xfcc`), i.e. when only the sidecar can.
 *
 * Configured identities are globs over the SPIFFE ID, each mapped to a
 * principal; the principal's name is the configured `name`, or the SPIFFE ID
 * itself, so one glob such as spiffe://cluster.local/ns/batch/sa/* still
 * gives every service account its own budget.
 */
import { globToRegExp } from "../common/glob.js";
import type { SpiffeIdentitySettings } from "../config/auth-schema.js";
import type { Principal } from "./principal.js";

const SPIFFE_ID = /^spiffe:\/\/([a-z0-9._-]+)(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/;

/** The trust domain of a well-formed SPIFFE ID, else undefined. */
export function trustDomainOf(id: string): string | undefined {
  return SPIFFE_ID.exec(id)?.[1];
}

/**
 * The SPIFFE IDs among a certificate's subject alternative names, as Node
 * renders them (`subjectaltname`: "DNS:a, URI:spiffe://td/ns/x/sa/y").
 * A SPIFFE SVID carries exactly one; more than one is not a valid SVID.
 */
export function spiffeIdsOfSan(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length).replace(/^"|"$/g, ""))
    .filter((uri) => trustDomainOf(uri) !== undefined);
}

/**
 * The client's SPIFFE ID from an XFCC header: the `URI` of its last element
 * (Envoy appends the client it saw to whatever earlier proxies forwarded).
 * Values may be quoted (and then contain `,` `;` `=`); undefined when the
 * last element has no URI or the header is malformed.
 */
export function spiffeIdOfXfcc(header: string): string | undefined {
  const elements = splitOutsideQuotes(header, ",");
  const last = elements.at(-1);
  if (last === undefined) return undefined;
  for (const pair of splitOutsideQuotes(last, ";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      if (!value.endsWith('"') || value.length < 2) return undefined;
      value = value.slice(1, -1).replace(/\\"/g, '"');
    }
    if (key.toLowerCase() === "uri" && trustDomainOf(value) !== undefined) return value;
  }
  return undefined;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\" && quoted && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.filter((part) => part.trim() !== "");
}

/** Maps SPIFFE IDs to principals (first matching glob wins). */
export class SpiffeIdentities {
  readonly #entries: Array<{ pattern: RegExp; settings: SpiffeIdentitySettings }>;
  readonly #trustDomains: ReadonlySet<string>;

  constructor(identities: readonly SpiffeIdentitySettings[], trustDomains: readonly string[]) {
    // Case-sensitive, unlike model globs: SPIFFE IDs are compared exactly.
    this.#entries = identities.map((settings) => ({ pattern: new RegExp(globToRegExp(settings.id).source), settings }));
    this.#trustDomains = new Set(trustDomains.map((d) => d.toLowerCase()));
  }

  /** The principal for `id`, or a reason it has none (for the log; safe to print: an ID is not a secret). */
  lookup(id: string): { principal: Principal } | { reason: string } {
    const domain = trustDomainOf(id);
    if (domain === undefined) return { reason: "not a SPIFFE ID" };
    if (this.#trustDomains.size > 0 && !this.#trustDomains.has(domain)) return { reason: `SPIFFE trust domain '${domain}' is not trusted` };
    const entry = this.#entries.find((e) => e.pattern.test(id));
    if (entry === undefined) return { reason: `SPIFFE ID ${id} matches no auth.spiffe.ids entry` };
    const { settings } = entry;
    return {
      principal: Object.freeze({
        name: settings.name ?? id,
        tenant: settings.tenant,
        scopes: new Set(settings.scopes),
        models: Object.freeze([...settings.models]),
        credential: "spiffe",
        limits: settings.limits,
      }),
    };
  }
}
