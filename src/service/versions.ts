/** GetVersion: the gateway's version and GET /api/version of every backend at once. */
import type { GetVersionResponse } from "../../gen/ollama/v1/ollama.js";
import { callEach, describeFailure } from "./fleet-call.js";
import type { Backends } from "./fleet.js";

/** Runs one GetVersion call. */
export async function getVersion(fleet: Backends, gatewayVersion: string, signal: AbortSignal, timeoutMs: number): Promise<GetVersionResponse> {
  const outcomes = await callEach(
    fleet.all(),
    signal,
    timeoutMs,
    ({ client }, backendSignal, headers) => client.json("GET", "/api/version", undefined, backendSignal, headers),
    { operation: "get_version" },
  );
  return {
    gatewayVersion,
    backends: outcomes.map((outcome) =>
      outcome.ok
        ? { backend: outcome.backend, version: typeof outcome.value.version === "string" ? outcome.value.version : "", reachable: true, error: "" }
        : { backend: outcome.backend, version: "", reachable: false, error: describeFailure(outcome.error).message },
    ),
  };
}
