import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../resources/app.js";
import type { Build, BuildResourceStatus } from "../resources/build.js";
import type { Deployment } from "../resources/deployment.js";
import { newBuilds } from "../resources/new-build.js";
import { newDeployment } from "../resources/new-deployment.js";
import { buildingStatus } from "./building-status.js";

const META = { uid: "u", resourceVersion: "1", generation: 1, creationTimestamp: "2026-01-01T00:00:00Z" };

function deployment(): Deployment {
  const app: App = {
    apiVersion: "slipway.dev/v1alpha1",
    kind: "App",
    metadata: { ...META, name: "shop", namespace: "acme" },
    spec: {
      appSpec: {
        name: "shop",
        services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git" } }],
        static_sites: [{ name: "docs", git: { repo_clone_url: "https://example.com/d.git" } }],
      },
    },
  };
  const d = newDeployment(app, {
    name: "shop-1",
    cause: "x",
    causeDetails: { type: "MANUAL" },
    now: new Date(0),
  });
  return { ...d, metadata: { ...META, ...d.metadata, uid: "d-uid" } } as Deployment;
}

function builds(d: Deployment, ...statuses: BuildResourceStatus[]): Build[] {
  return newBuilds(d).map(
    (b, i) => ({ ...b, metadata: { ...META, ...b.metadata }, status: statuses[i] }) as Build,
  );
}

const NOW = new Date("2026-01-01T00:01:00Z");

describe("buildingStatus", () => {
  it("is BUILDING with the running step counted while a build runs", () => {
    const d = deployment();
    const status = buildingStatus(
      d,
      builds(d, { phase: "RUNNING", attempts: 1, startedAt: "t0" }, { phase: "PENDING", attempts: 0 }),
      2,
      NOW,
    );
    assert.equal(status.phase, "BUILDING");
    const p = status.progress;
    assert.deepEqual([p.success_steps, p.running_steps, p.pending_steps, p.total_steps], [1, 1, 7, 9]);
    assert.equal(p.steps[0]?.status, "RUNNING");
    assert.equal(status.phaseLastUpdatedAt, NOW.toISOString());
  });

  it("stays BUILDING until every expected build exists and succeeded", () => {
    const d = deployment();
    const done: BuildResourceStatus = { phase: "SUCCEEDED", attempts: 1, artifactId: "a" };
    const status = buildingStatus(d, builds(d, done, done).slice(0, 1), 2, NOW);
    assert.equal(status.phase, "BUILDING");
    assert.equal(status.artifacts, undefined);
  });

  it("goes straight to PENDING_DEPLOY with no artifacts when nothing needs building", () => {
    const d = deployment();
    const status = buildingStatus(d, [], 0, NOW);
    assert.equal(status.phase, "PENDING_DEPLOY");
    assert.deepEqual(status.artifacts, {});
    assert.equal(status.conditions?.find((c) => c.type === "Progressing")?.reason, "RuntimeNotAvailable");
  });

  it("is a fixed point: applied to its own result at a later time it changes nothing", () => {
    const d = deployment();
    const list = builds(
      d,
      { phase: "RUNNING", attempts: 1 },
      { phase: "FAILED", attempts: 1, message: "boom" },
    );
    const first = buildingStatus(d, list, 2, NOW);
    const again = buildingStatus({ ...d, status: first }, list, 2, new Date("2026-01-01T00:05:00Z"));
    assert.deepEqual(again, first);
    assert.equal(first.phase, "ERROR");
  });
});
