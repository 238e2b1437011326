import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Build } from "./build.js";
import type { Deployment, DeploymentPhase } from "./deployment.js";
import { PINNED_ANNOTATION, retainedArtifacts } from "./retained-artifacts.js";

let rv = 0;
function deployment(
  app: string,
  n: number,
  phase: DeploymentPhase,
  annotations?: Record<string, string>,
): Deployment {
  rv++;
  return {
    apiVersion: "slipway.dev/v1alpha1",
    kind: "Deployment",
    metadata: {
      name: `${app}-${n}`,
      namespace: "team",
      uid: `uid-${app}-${n}`,
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: `2026-01-01T00:00:${String(n).padStart(2, "0")}.000Z`,
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      app,
      appUid: `app-${app}`,
      appGeneration: n,
      appSpec: { name: app },
      cause: "manual",
      causeDetails: { type: "MANUAL" },
      forceBuild: false,
    },
    status: {
      phase,
      phaseLastUpdatedAt: "2026-01-01T00:00:00.000Z",
      progress: {
        pending_steps: 0,
        running_steps: 0,
        success_steps: 0,
        error_steps: 0,
        total_steps: 0,
        steps: [],
      },
      artifacts: { web: `art-${app}-${n}` },
    },
  } as Deployment;
}

describe("retainedArtifacts", () => {
  it("keeps the newest N deployments of each app and drops older ones", () => {
    const list = Array.from({ length: 15 }, (_, i) => deployment("a", i, "SUPERSEDED"));
    const keep = retainedArtifacts(list, [], { perApp: 10 });
    assert.equal(keep.size, 10);
    assert.ok(keep.has("art-a-14") && keep.has("art-a-5"));
    assert.ok(!keep.has("art-a-4") && !keep.has("art-a-0"));
  });

  it("counts per app, so a busy app does not push out another app's artifacts", () => {
    const list = [
      ...Array.from({ length: 12 }, (_, i) => deployment("busy", i + 10, "SUPERSEDED")),
      deployment("quiet", 1, "ACTIVE"),
    ];
    const keep = retainedArtifacts(list, [], { perApp: 10 });
    assert.ok(keep.has("art-quiet-1"));
    assert.ok(!keep.has("art-busy-10") && !keep.has("art-busy-11"));
  });

  it("always keeps the active deployment, pinned ones, unfinished ones and running builds", () => {
    const list = [
      deployment("a", 0, "SUPERSEDED", { [PINNED_ANNOTATION]: "true" }),
      deployment("a", 1, "ACTIVE"),
      deployment("a", 2, "DEPLOYING"),
      ...Array.from({ length: 5 }, (_, i) => deployment("a", i + 3, "ERROR")),
    ];
    const build = { status: { phase: "SUCCEEDED", attempts: 1, artifactId: "art-building" } } as Build;
    const keep = retainedArtifacts(list, [build], { perApp: 1, active: new Set(["team/a-1"]) });
    assert.deepEqual([...keep].sort(), ["art-a-0", "art-a-1", "art-a-2", "art-a-7", "art-building"]);
  });
});
