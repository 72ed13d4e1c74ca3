/**
 * Management RPCs (pull, delete, copy, load, unload) change the fleet, so
 * they are off unless the gateway's configuration enables them. (Once
 * authentication lands they will also need an admin scope.)
 */
import { Status } from "nice-grpc";
import { ErrorInfo, RichServerError } from "nice-grpc-error-details";
import { ERROR_DOMAIN } from "./status.js";

/** Throws PERMISSION_DENIED / MANAGEMENT_DISABLED unless management is enabled. */
export function requireManagement(enabled: boolean, method: string): void {
  if (enabled) return;
  throw new RichServerError(
    Status.PERMISSION_DENIED,
    `${method} is a management call, and management calls are disabled on this gateway (set management.enabled: true)`,
    [ErrorInfo.fromPartial({ reason: "MANAGEMENT_DISABLED", domain: ERROR_DOMAIN, metadata: { method } })],
  );
}
