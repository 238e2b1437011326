import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "./app.js";
import { countSteps, initialProgress, newDeployment } from "./new-deployment.js";

const app: App = {
  apiVersion: "slipway.dev/v1alpha1",
  kind: "App",
  metadata: {
    name: "shop",
    namespace: "acme",
    uid: "u-1",
    resourceVersion: "7",
    generation: 3,
    creationTimestamp: "2026-01-01T00:00:00Z",
  },
  spec: {
    appSpec: {
      name: "shop",
      services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git" } }],
    },
  },
};

describe("newDeployment", () => {
  it("has DigitalOcean's six pending steps for one service", () => {
    const p = initialProgress(app.spec.appSpec);
    assert.equal(p.total_steps, 6);
    assert.equal(p.pending_steps, 6);
    assert.deepEqual(
      p.steps.map((s) => s.name),
      ["build", "deploy"],
    );
    assert.equal(p.steps[0]?.steps?.[1]?.steps?.[0]?.message_base, "Building service");
  });

  it("counts leaves by status", () => {
    const p = initialProgress(app.spec.appSpec);
    const build = p.steps[0];
    if (build?.steps?.[0]) build.steps[0].status = "SUCCESS";
    const web = build?.steps?.[1]?.steps?.[0];
    if (web) web.status = "ERROR";
    const counted = countSteps(p.steps);
    assert.deepEqual([counted.success_steps, counted.error_steps, counted.pending_steps], [1, 1, 4]);
  });

  it("snapshots the normalized spec, the cause and the app generation", () => {
    const d = newDeployment(app, {
      name: "shop-1",
      cause: "app spec updated",
      causeDetails: { type: "MANUAL" },
      now: new Date(0),
    });
    assert.equal(d.spec.appSpec.services?.[0]?.http_port, 8080);
    assert.equal(d.spec.appGeneration, 3);
    assert.equal(d.metadata.namespace, "acme");
    assert.equal(d.metadata.labels?.["slipway.dev/app-generation"], "3");
    assert.equal(d.status?.phase, "PENDING_BUILD");
    assert.equal(app.spec.appSpec.services?.[0]?.http_port, undefined, "the App's spec is not modified");
  });
});
