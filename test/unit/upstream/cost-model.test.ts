/** Learned costs: defaults until observed; EWMA; cold loads feed the load estimate and are left out of service time. */
import { expect, it } from "vitest";
import { LearnedCosts } from "../../../src/upstream/cost-model.js";

it("starts from the defaults and learns per model", () => {
  const costs = new LearnedCosts(10_000, 5_000);
  expect([costs.loadMs("m"), costs.serviceMs("m"), costs.serviceMs(undefined)]).toEqual([10_000, 5_000, 5_000]);
  costs.observe("m", 400, 10); // warm: a 10 ms load_duration is queueing, not a cold load
  expect([costs.loadMs("m"), costs.serviceMs("m")]).toEqual([10_000, 400]);
  costs.observe("m", 2_400, 2_000); // cold: 2 s load, 400 ms of generation
  expect([costs.loadMs("m"), costs.serviceMs("m")]).toEqual([2_000, 400]);
  costs.observe("m", 900, undefined);
  expect(costs.serviceMs("m")).toBeCloseTo(400 + 0.2 * 500, 6); // EWMA, alpha 0.2
  expect(costs.loadMs("other")).toBe(10_000);
  expect(costs.snapshot()).toEqual({ m: { serviceMs: 500, loadMs: 2_000 } });
});
