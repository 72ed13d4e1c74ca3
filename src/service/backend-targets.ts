/**
 * Which backends a fleet-wide call acts on: the names in the request's
 * `backends` field, or every backend when it is empty. Unknown or repeated
 * names are INVALID_ARGUMENT field violations (`backends[1]`).
 */
import type { Backends, PickedBackend } from "./fleet.js";
import type { FieldViolation } from "./validate-request.js";

/** Resolves the names; reports problems into `violations` and returns the known targets. */
export function resolveTargets(fleet: Backends, names: readonly string[], violations: FieldViolation[], field = "backends"): PickedBackend[] {
  if (names.length === 0) return fleet.all();
  const seen = new Set<string>();
  const targets: PickedBackend[] = [];
  names.forEach((name, i) => {
    const target = fleet.byName(name);
    if (target === undefined) {
      violations.push({ field: `${field}[${i}]`, description: `unknown backend "${name}"; known: ${fleet.endpoints.map((e) => e.name).join(", ")}` });
    } else if (seen.has(name)) {
      violations.push({ field: `${field}[${i}]`, description: `backend "${name}" listed twice` });
    } else {
      seen.add(name);
      targets.push(target);
    }
  });
  return targets;
}
