import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AutoscaleInput, desiredReplicas } from "./autoscale-decision.js";

const NOW = new Date("2026-01-01T12:00:00Z");

function input(changes: Partial<AutoscaleInput>): AutoscaleInput {
  return {
    current: 2,
    cpuPercents: [50, 50],
    targetPercent: 50,
    min: 1,
    max: 10,
    lastScaleTime: undefined,
    now: NOW,
    stabilizationMs: 60_000,
    ...changes,
  };
}

describe("desiredReplicas", () => {
  it("keeps the count when CPU use is at the target or within the 10% tolerance", () => {
    assert.equal(desiredReplicas(input({})).replicas, 2);
    assert.equal(desiredReplicas(input({ cpuPercents: [54, 54] })).replicas, 2);
    assert.equal(desiredReplicas(input({ cpuPercents: [46, 46] })).replicas, 2);
  });

  it("scales up by the ratio of use to target, rounding up", () => {
    // mean 90 / 50 = 1.8 -> ceil(2 * 1.8) = 4
    assert.equal(desiredReplicas(input({ cpuPercents: [90, 90] })).replicas, 4);
    assert.equal(desiredReplicas(input({ cpuPercents: [60, 60] })).replicas, 3);
  });

  it("scales down by the ratio once the stabilization window has passed since the last scale", () => {
    const idle = input({ current: 4, cpuPercents: [10, 10, 10, 10] });
    assert.equal(desiredReplicas(idle).replicas, 1);
    const recent = { ...idle, lastScaleTime: new Date(NOW.getTime() - 30_000) };
    const held = desiredReplicas(recent);
    assert.equal(held.replicas, 4);
    assert.match(held.reason, /stabilization window/);
    assert.equal(desiredReplicas({ ...idle, lastScaleTime: new Date(NOW.getTime() - 60_000) }).replicas, 1);
  });

  it("scales up at once even right after a scale (the window holds scale-downs only)", () => {
    const busy = input({ cpuPercents: [100, 100], lastScaleTime: new Date(NOW.getTime() - 1000) });
    assert.equal(desiredReplicas(busy).replicas, 4);
  });

  it("stays within min and max", () => {
    assert.equal(desiredReplicas(input({ cpuPercents: [100, 100], max: 3 })).replicas, 3);
    assert.match(desiredReplicas(input({ cpuPercents: [100, 100], max: 3 })).reason, /max_instance_count 3/);
    assert.equal(desiredReplicas(input({ current: 3, cpuPercents: [1, 1, 1], min: 2 })).replicas, 2);
  });

  it("never goes below 1 with a minimum of 1, however idle", () => {
    assert.equal(desiredReplicas(input({ current: 5, cpuPercents: [0, 0, 0, 0, 0] })).replicas, 1);
  });

  it("brings a count outside changed bounds back within them", () => {
    assert.equal(desiredReplicas(input({ current: 8, max: 5 })).replicas, 5);
    assert.equal(desiredReplicas(input({ current: 1, min: 3, cpuPercents: [] })).replicas, 3);
  });

  it("bounds one step up to double the count or four more, whichever is larger", () => {
    // mean 100 / 10 = 10 -> 20 wanted, but 2 may become at most 6.
    assert.equal(desiredReplicas(input({ cpuPercents: [100, 100], targetPercent: 10, max: 50 })).replicas, 6);
    // 10 may become at most 20.
    const many = Array.from({ length: 10 }, () => 100);
    assert.equal(
      desiredReplicas(input({ current: 10, cpuPercents: many, targetPercent: 10, max: 250 })).replicas,
      20,
    );
  });

  it("changes nothing without samples", () => {
    const d = desiredReplicas(input({ cpuPercents: [] }));
    assert.deepEqual(d, { replicas: 2, reason: "no CPU samples yet" });
  });

  it("counts instances without a sample as idle when scaling up and as busy when scaling down", () => {
    // 4 instances, one sample at 80% (target 50): filled with three idle ones the mean is 20% -> no scale-up.
    assert.equal(desiredReplicas(input({ current: 4, cpuPercents: [80] })).replicas, 4);
    // 4 instances, two samples at 100%: filled mean 50% -> within target.
    assert.equal(desiredReplicas(input({ current: 4, cpuPercents: [100, 100] })).replicas, 4);
    // 4 instances, one sample at 0%: the three missing count as 100%, mean 75% -> no scale-down.
    assert.equal(desiredReplicas(input({ current: 4, cpuPercents: [0] })).replicas, 4);
    // 3 instances, two samples busy: filled [100, 100, 0] mean 66.7% of 50 -> ceil(3 * 1.33) = 4.
    assert.equal(desiredReplicas(input({ current: 3, cpuPercents: [100, 100] })).replicas, 4);
  });
});
