/**
 * LoadModel: warm capacity before traffic. Asks the candidate backends what
 * they hold and have loaded (/api/tags, /api/ps), picks `count` holders —
 * those where the model is already resident first, since refreshing them is
 * free — and loads it there at once. Candidates that could not be asked are
 * reported as failed results unless `count` loads succeeded without them;
 * NOT_FOUND when no candidate holds the model. Fewer holders than `count`
 * is not an error: the results show how many were loaded.
 */
import { Status } from "nice-grpc";
import { ErrorInfo, RichServerError } from "nice-grpc-error-details";
import type { BackendResult, LoadModelRequest, LoadModelResponse } from "../../gen/ollama/v1/ollama.js";
import { modelKey } from "../ollama/model-name.js";
import { resolveTargets } from "./backend-targets.js";
import { callEach, failIfNoneSucceeded, toBackendResult } from "./fleet-call.js";
import type { PickedBackend } from "./fleet.js";
import type { AdminContext } from "./model-admin.js";
import { emptyRequest } from "./model-admin.js";
import { toOllamaKeepAlive } from "./request-mapping.js";
import { ERROR_DOMAIN, invalidArgument, Reason } from "./status.js";
import { checkDuration, checkModel, type FieldViolation } from "./validate-request.js";

/** What one candidate holds. */
interface Holding {
  target: PickedBackend;
  installed: boolean;
  loaded: boolean;
}

/** Runs one LoadModel call. `ctx.timeoutMs` bounds the discovery; the loads are bounded by the caller's deadline. */
export async function loadModel(ctx: AdminContext, request: LoadModelRequest): Promise<LoadModelResponse> {
  ctx.record.model = request.model;
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  if (request.count < 0) violations.push({ field: "count", description: "must be >= 0" });
  if (request.keepAlive !== undefined) checkDuration(request.keepAlive, "keep_alive", violations);
  const candidates = resolveTargets(ctx.fleet, request.backends, violations);
  if (violations.length > 0) throw invalidArgument(violations);

  const key = modelKey(request.model);
  const discovery = await callEach(
    candidates,
    ctx.signal,
    ctx.timeoutMs,
    async ({ client }, signal, headers): Promise<Omit<Holding, "target">> => {
      const [tags, ps] = await Promise.all([client.json("GET", "/api/tags", undefined, signal, headers), client.json("GET", "/api/ps", undefined, signal, headers)]);
      const names = (list: unknown) => (Array.isArray(list) ? list : []).map((m: { name?: string; model?: string }) => modelKey(m.name ?? m.model ?? ""));
      return { installed: names(tags.models).includes(key), loaded: names(ps.models).includes(key) };
    },
    { operation: "find_model", model: request.model },
  );
  const unreachable: BackendResult[] = discovery.filter((o) => !o.ok).map((o) => toBackendResult(o));
  const holders: Holding[] = discovery.flatMap((o, i) => (o.ok && o.value.installed ? [{ target: candidates[i]!, ...o.value }] : []));
  if (holders.length === 0 && unreachable.length === 0) {
    throw new RichServerError(Status.NOT_FOUND, `model '${request.model}' is not installed on any candidate backend`, [
      ErrorInfo.fromPartial({ reason: Reason.MODEL_NOT_FOUND, domain: ERROR_DOMAIN, metadata: { model: request.model } }),
    ]);
  }
  const chosen = chooseHolders(holders, request.count);
  const keepAlive = request.keepAlive === undefined ? undefined : toOllamaKeepAlive(request.keepAlive);
  const loads = await callEach(
    chosen.map((h) => h.target),
    ctx.signal,
    0,
    async ({ client }, signal, headers) => {
      const startedAt = performance.now();
      await emptyRequest(client, request.model, keepAlive, signal, headers);
      return performance.now() - startedAt;
    },
    { operation: "load_model", model: request.model },
  );
  // Candidates that could not be asked matter only when they might have been
  // needed: every holder was wanted (count 0) or the count was not met.
  const met = request.count > 0 && loads.filter((o) => o.ok).length >= request.count;
  const results = [...loads.map((o) => toBackendResult(o, o.ok ? o.value : undefined)), ...(met ? [] : unreachable)];
  failIfNoneSucceeded("LoadModel", request.model, results);
  return { results };
}

/** The holders to load on: already-resident ones first, then in configuration order; `count` 0 = all. */
export function chooseHolders<T extends { loaded: boolean }>(holders: readonly T[], count: number): T[] {
  const ordered = [...holders.filter((h) => h.loaded), ...holders.filter((h) => !h.loaded)];
  return count === 0 ? ordered : ordered.slice(0, count);
}
