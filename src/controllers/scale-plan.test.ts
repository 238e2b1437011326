import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import { newDeployment } from "../resources/new-deployment.js";
import { newInstance } from "../resources/new-instances.js";
import type { AppSpec } from "../spec/index.js";
import { planRollout, SCALED } from "./rollout-plan.js";
import { carriedScale, inPlaceScale } from "./scale-in-place.js";
import { describeScale, planScale } from "./scale-plan.js";

const NOW = new Date("2026-01-01T12:00:00Z");

function spec(web: number, extra: Partial<NonNullable<AppSpec["services"]>[number]> = {}): AppSpec {
  return {
    name: "shop",
    services: [
      { name: "web", git: { repo_clone_url: "https://example.com/r.git" }, instance_count: web, ...extra },
    ],
    workers: [{ name: "jobs", git: { repo_clone_url: "https://example.com/r.git" } }],
  };
}

function app(appSpec: AppSpec, generation = 1): App {
  return {
    apiVersion: "slipway.dev/v1alpha1",
    kind: "App",
    metadata: {
      name: "shop",
      namespace: "acme",
      uid: "u-1",
      resourceVersion: "1",
      generation,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: { appSpec },
  };
}

function active(appSpec: AppSpec, scale?: Record<string, number>, generation = 1): Deployment {
  const d = newDeployment(app(appSpec), {
    name: "shop-d1",
    cause: "test",
    causeDetails: { type: "MANUAL" },
    now: NOW,
  });
  return {
    ...d,
    metadata: {
      ...d.metadata,
      uid: "d-1",
      resourceVersion: "1",
      generation,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: { ...d.spec, ...(scale === undefined ? {} : { scale }) },
    status: {
      ...(d.status as NonNullable<Deployment["status"]>),
      phase: "ACTIVE",
      artifacts: { web: "art-web", jobs: "art-jobs" },
    },
  } as Deployment;
}

/** Stored instances of `component` with these indexes, created one second apart in this order. */
function stored(d: Deployment, component: string, indexes: number[], extra: Partial<Instance["spec"]> = {}) {
  return indexes.map((index, n): Instance => {
    const i = newInstance(d, component === "web" ? "services" : "workers", component, index);
    return {
      ...i,
      metadata: {
        ...i.metadata,
        uid: `i-${component}-${index}`,
        resourceVersion: "1",
        generation: 1,
        creationTimestamp: new Date(NOW.getTime() + n * 1000).toISOString(),
      },
      spec: { ...i.spec, ...extra },
      status: { phase: "Running", ready: true, restarts: 0 },
    };
  });
}

describe("planScale", () => {
  it("creates the missing instances of a scaled-up component with the next free indexes", () => {
    const d = active(spec(1), { web: 4 });
    const plan = planScale(d, [...stored(d, "web", [0]), ...stored(d, "jobs", [0])]);
    assert.deepEqual(
      plan.create.map((i) => i.metadata.name),
      ["shop-d1-web-1", "shop-d1-web-2", "shop-d1-web-3"],
    );
    assert.deepEqual(plan.drain, []);
    assert.deepEqual(plan.changes, [{ component: "web", from: 1, to: 4 }]);
    assert.equal(describeScale(plan.changes), "scaled web from 1 to 4 instances");
  });

  it("drains the newest instances of a scaled-down component first", () => {
    const d = active(spec(5), { web: 2 });
    const web = stored(d, "web", [0, 3, 1, 2, 4]);
    const plan = planScale(d, [...web, ...stored(d, "jobs", [0])]);
    // Created in the order 0, 3, 1, 2, 4: the last three created go.
    assert.deepEqual(
      plan.drain.map((i) => i.spec.index),
      [4, 2, 1],
    );
    assert.deepEqual(plan.create, []);
  });

  it("drains instances that are not ready before ready ones", () => {
    const d = active(spec(3), { web: 2 });
    const web = stored(d, "web", [0, 1, 2]);
    const [first] = web;
    if (first?.status) first.status = { ...first.status, ready: false };
    assert.deepEqual(
      planScale(d, web.concat(stored(d, "jobs", [0]))).drain.map((i) => i.spec.index),
      [0],
    );
  });

  it("never reuses the index of an instance still draining, and never counts it as live", () => {
    const d = active(spec(1), { web: 3 });
    const instances = [
      ...stored(d, "web", [0]),
      ...stored(d, "web", [1, 2], { draining: true }),
      ...stored(d, "jobs", [0]),
    ];
    assert.deepEqual(
      planScale(d, instances).create.map((i) => i.spec.index),
      [3, 4],
    );
  });

  it("never goes below one instance", () => {
    const d = active(spec(2), { web: 0 });
    const plan = planScale(d, [...stored(d, "web", [0, 1]), ...stored(d, "jobs", [0])]);
    assert.equal(plan.drain.length, 1);
  });

  it("replaces a vanished instance and changes nothing at the desired count", () => {
    const d = active(spec(2));
    assert.deepEqual(
      planScale(d, [...stored(d, "web", [1]), ...stored(d, "jobs", [0])]).create.map((i) => i.spec.index),
      [0],
    );
    const steady = planScale(d, [...stored(d, "web", [0, 1]), ...stored(d, "jobs", [0])]);
    assert.deepEqual(steady, { create: [], drain: [], changes: [] });
  });
});

describe("planRollout of an ACTIVE deployment", () => {
  it("records a Scaled condition once per change of spec.scale, not for a replaced instance", () => {
    const scaled = active(spec(1), { web: 3 }, 2);
    const plan = planRollout(scaled, [...stored(scaled, "web", [0]), ...stored(scaled, "jobs", [0])], {
      now: NOW,
    });
    assert.equal(plan.create.length, 2);
    const condition = plan.status?.conditions?.find((c) => c.type === SCALED);
    assert.equal(condition?.message, "scaled web from 1 to 3 instances");
    assert.equal(condition?.observedGeneration, 2);
    // The same generation again (one instance created so far): no new message.
    const again = { ...scaled, status: plan.status } as Deployment;
    const next = planRollout(again, [...stored(scaled, "web", [0, 1]), ...stored(scaled, "jobs", [0])], {
      now: NOW,
    });
    assert.equal(next.status, undefined);
    assert.equal(next.create.length, 1);
    const replaced = planRollout(active(spec(2)), stored(active(spec(2)), "jobs", [0]), { now: NOW });
    assert.equal(replaced.create.length, 2);
    assert.equal(replaced.status, undefined);
  });
});

describe("inPlaceScale", () => {
  it("returns the new counts when only instance_count changed", () => {
    assert.deepEqual(inPlaceScale(app(spec(5), 2), active(spec(1))), { web: 5, jobs: 1 });
  });

  it("returns the counts for a spec identical to the snapshot (a revert to the snapshot's count)", () => {
    assert.deepEqual(inPlaceScale(app(spec(1), 3), active(spec(1), { web: 5 })), { web: 1, jobs: 1 });
  });

  it("returns undefined when anything else changed too", () => {
    const env = spec(5, { envs: [{ key: "A", value: "1", scope: "RUN_TIME" }] });
    assert.equal(inPlaceScale(app(env, 2), active(spec(1))), undefined);
    assert.equal(inPlaceScale(app({ ...spec(1), region: "ams" }, 2), active(spec(1))), undefined);
    const withSource: App = {
      ...app(spec(1), 2),
      spec: { appSpec: spec(1), source: { kind: "upload", digest: "x" } },
    };
    assert.equal(inPlaceScale(withSource, active(spec(1))), undefined);
    const renamed = {
      ...spec(1),
      workers: [{ name: "other", git: { repo_clone_url: "https://example.com/r.git" } }],
    };
    assert.equal(inPlaceScale(app(renamed, 2), active(spec(1))), undefined);
  });

  it("leaves the count of an autoscaled component to the autoscaler", () => {
    const auto = (count: number) => ({
      ...spec(count),
      workers: [
        {
          name: "jobs",
          git: { repo_clone_url: "https://example.com/r.git" },
          instance_size_slug: "apps-d-1vcpu-1gb",
          autoscaling: { min_instance_count: 1, max_instance_count: 4 },
        },
      ],
    });
    assert.deepEqual(inPlaceScale(app(auto(3), 2), active(auto(1), { jobs: 4 })), { web: 3, jobs: 4 });
  });
});

describe("carriedScale", () => {
  it("carries an autoscaled count into a new deployment, within the new bounds", () => {
    const auto = (max: number) => ({
      ...spec(1),
      services: [
        {
          name: "web",
          git: { repo_clone_url: "https://example.com/r.git" },
          instance_size_slug: "apps-d-1vcpu-1gb",
          autoscaling: { min_instance_count: 1, max_instance_count: max },
        },
      ],
    });
    assert.deepEqual(carriedScale(app(auto(5), 2), active(auto(5), { web: 4 })), { web: 4 });
    assert.deepEqual(carriedScale(app(auto(3), 2), active(auto(5), { web: 4 })), { web: 3 });
    // A component without autoscaling starts from its spec's instance_count.
    assert.equal(carriedScale(app(spec(2), 2), active(spec(1), { web: 5 })), undefined);
    assert.equal(carriedScale(app(spec(2), 2), undefined), undefined);
  });
});
