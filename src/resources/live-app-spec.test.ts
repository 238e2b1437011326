import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployment } from "./deployment.js";
import { liveAppSpec } from "./live-app-spec.js";

const snapshot = {
  name: "shop",
  services: [
    { name: "web", instance_count: 1 },
    { name: "api", autoscaling: { min_instance_count: 1, max_instance_count: 4 } },
  ],
  workers: [{ name: "jobs", instance_count: 2 }],
};

const deployment = (scale?: Record<string, number>) =>
  ({ spec: { appSpec: snapshot, ...(scale === undefined ? {} : { scale }) } }) as unknown as Deployment;

describe("liveAppSpec", () => {
  it("writes the live counts into instance_count, leaving autoscaled components their bounds", () => {
    const live = liveAppSpec(deployment({ web: 5, api: 3 }));
    assert.deepEqual(
      live.services?.map((s) => [s.name, s.instance_count]),
      [
        ["web", 5],
        ["api", undefined],
      ],
    );
    assert.equal(live.workers?.[0]?.instance_count, 2);
    assert.equal(snapshot.services[0]?.instance_count, 1, "the snapshot is not changed");
  });

  it("is the snapshot itself when the deployment was never scaled", () => {
    assert.equal(liveAppSpec(deployment()), snapshot);
  });
});
