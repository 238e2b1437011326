/**
 * createSlipwayManager with a job runner: the App controller and the job scheduler share
 * App.status without undoing each other, and an invocation runs end to end.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { cronJob, NS, RecordingRunner } from "../../test/helpers/job-fixture.js";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import { type JobInvocation, jobInvocationName } from "../resources/job-invocation.js";
import { API_VERSION } from "../resources/meta.js";
import type { Manager } from "./runtime/manager.js";
import { createSlipwayManager } from "./slipway-manager.js";

describe("createSlipwayManager with a jobRunner", () => {
  let temp: TempStore;
  let manager: Manager | undefined;
  beforeEach(async () => {
    temp = await tempStore();
  });
  afterEach(async () => {
    await manager?.stop();
    await temp.cleanup();
  });

  it("schedules the jobs of the deployment the App controller made active and runs them", async () => {
    const store = temp.open();
    let clock = new Date("2026-01-01T00:00:30Z");
    const runner = new RecordingRunner();
    const lines: string[] = [];
    manager = createSlipwayManager({
      store,
      jobRunner: runner,
      now: () => clock,
      onJobLogLine: (key, line) => lines.push(`${key.name}: ${line}`),
      jobLogRef: (key) => `job/${key.namespace}/${key.name}`,
    });
    await manager.start();
    await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: { appSpec: { name: "shop", jobs: [cronJob("cleanup", "* * * * *")] } },
    });
    let deployment: Deployment | undefined;
    await waitFor(async () => {
      deployment = (await store.list<Deployment>("Deployment", { namespace: NS })).items[0];
      return deployment?.status !== undefined;
    });
    assert.ok(deployment?.status !== undefined);
    // No runtime deploys it here: mark it ACTIVE as the runtime will, and let the App controller see it.
    await store.updateStatus<Deployment>({
      ...deployment,
      status: { ...deployment.status, phase: "ACTIVE" },
    });
    const app = () => store.get<App>("App", { namespace: NS, name: "shop" });
    await waitFor(
      async () => (await app()).status?.scheduledJobs?.cleanup !== undefined,
      5000,
      "the job scheduled",
    );
    assert.equal((await app()).status?.activeDeployment, deployment.metadata.name);
    clock = new Date("2026-01-01T00:01:10Z");
    const current = await app();
    await store.update<App>({ ...current, metadata: { ...current.metadata, labels: { poke: "1" } } });
    const name = jobInvocationName("shop", "cleanup", new Date("2026-01-01T00:01:00Z"));
    await waitFor(
      async () =>
        (await store.get<JobInvocation>("JobInvocation", { namespace: NS, name }).catch(() => undefined))
          ?.status?.phase === "SUCCEEDED",
      5000,
      "the invocation SUCCEEDED",
    );
    const done = await store.get<JobInvocation>("JobInvocation", { namespace: NS, name });
    assert.equal(done.status?.logRef, `job/${NS}/${name}`);
    assert.deepEqual(
      lines.map((l) => l.replace(`${name}: `, "")),
      [
        "==> job cleanup started (SCHEDULED, tick 2026-01-01T00:01:00.000Z)",
        "running cleanup",
        "==> job exited with code 0",
      ],
    );
    const status = (await app()).status;
    assert.equal(status?.scheduledJobs?.cleanup?.lastInvocation, name);
    assert.equal(status?.activeDeployment, deployment.metadata.name, "the App controller kept its fields");
  });
});
