/**
 * Scaling through the controllers on the real SQLite store (ADR 0024): an App update that only
 * changes instance_count scales the ACTIVE deployment in place (no new Deployment), down drains the
 * newest instances, and the autoscaler follows CPU samples between min and max. The instance
 * driver and the metrics source are in-process fakes; test/server-scaling runs the real ones.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import { API_VERSION } from "../resources/meta.js";
import type { AppSpec } from "../spec/index.js";
import type { Store } from "../store/store.js";
import type { Builder } from "./builder.js";
import type { InstanceDriver, InstanceObservation, RunningInstance } from "./instance-driver.js";
import type { InstanceMetrics } from "./instance-metrics.js";
import { SCALED } from "./rollout-plan.js";
import type { Manager } from "./runtime/manager.js";
import { createSlipwayManager } from "./slipway-manager.js";

const NS = "acme";

/** Every run reports ready at once; stops are recorded. */
const driver = (stopped: string[]): InstanceDriver => ({
  async run({ instance, onChange }): Promise<RunningInstance> {
    let state: InstanceObservation = { phase: "Starting", ready: false, restarts: 0 };
    queueMicrotask(() => {
      state = { phase: "Running", ready: true, restarts: 0 };
      onChange();
    });
    return {
      state: () => state,
      stop: async () => {
        stopped.push(instance.metadata.name);
      },
    };
  },
});

const builder: Builder = {
  build: async (request) => ({ artifactId: `art-${request.build.spec.component}` }) as never,
};

function appSpec(web: NonNullable<AppSpec["services"]>[number]): AppSpec {
  return { name: "shop", services: [web] };
}

const fixed = (count: number) =>
  appSpec({
    name: "web",
    git: { repo_clone_url: "https://example.com/r.git" },
    instance_count: count,
    termination: { drain_seconds: 1 },
  });

const autoscaled = appSpec({
  name: "web",
  git: { repo_clone_url: "https://example.com/r.git" },
  instance_size_slug: "apps-d-1vcpu-1gb",
  autoscaling: { min_instance_count: 1, max_instance_count: 3, metrics: { cpu: { percent: 50 } } },
  termination: { drain_seconds: 1 },
});

describe("scaling through the controllers", () => {
  let temp: TempStore;
  let store: Store;
  let manager: Manager | undefined;
  let stopped: string[];
  let cpu = 0;
  const metrics: InstanceMetrics = { cpuPercent: async () => cpu };

  beforeEach(async () => {
    temp = await tempStore();
    store = temp.open();
    stopped = [];
    manager = createSlipwayManager({
      store,
      builder,
      instanceDriver: driver(stopped),
      instanceMetrics: metrics,
      autoscaling: { intervalMs: 20, stabilizationMs: 200 },
    });
    await manager.start();
  });
  afterEach(async () => {
    await manager?.stop();
    await temp.cleanup();
  });

  const deployments = async () => (await store.list<Deployment>("Deployment", { namespace: NS })).items;
  const live = async () =>
    (await store.list<Instance>("Instance", { namespace: NS })).items.filter((i) => i.spec.draining !== true);
  const ready = async (n: number) => {
    const items = await live();
    return items.length === n && items.every((i) => i.status?.ready === true);
  };

  async function create(spec: AppSpec): Promise<Deployment> {
    await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: { appSpec: spec },
    });
    await waitFor(async () => (await deployments())[0]?.status?.phase === "ACTIVE", 5000, "ACTIVE");
    return (await deployments())[0] as Deployment;
  }

  async function update(spec: AppSpec): Promise<void> {
    const app = await store.get<App>("App", { namespace: NS, name: "shop" });
    await store.update<App>({ ...app, spec: { appSpec: spec } });
  }

  it("scales 1 -> 4 -> 1 in place: same deployment, newest drained first, App and Deployment say so", async () => {
    const first = await create(fixed(1));
    await update(fixed(4));
    await waitFor(() => ready(4), 5000, "4 ready instances");
    await update(fixed(1));
    await waitFor(() => ready(1), 5000, "1 live instance");
    const [only] = await live();
    assert.equal(only?.metadata.name, `${first.metadata.name}-web-0`, "the oldest instance stays");
    await waitFor(() => stopped.length === 3, 10_000, "the drained instances stopped");
    const all = await deployments();
    assert.deepEqual(
      all.map((d) => d.metadata.name),
      [first.metadata.name],
      "no new deployment",
    );
    const d = all[0] as Deployment;
    assert.deepEqual(d.spec.scale, { web: 1 });
    assert.equal(d.status?.phase, "ACTIVE");
    assert.equal(
      d.status?.conditions?.find((c) => c.type === SCALED)?.message,
      "scaled web from 4 to 1 instance",
    );
    await waitFor(
      async () =>
        (await store.get<App>("App", { namespace: NS, name: "shop" })).status?.observedGeneration === 3,
      5000,
      "the App status of generation 3",
    );
    const app = await store.get<App>("App", { namespace: NS, name: "shop" });
    assert.equal(app.status?.activeDeployment, first.metadata.name);
    assert.match(
      app.status?.conditions?.find((c) => c.type === "DeploymentCreated")?.message ?? "",
      /generation 3 only changes instance counts: .* runs web x1/,
    );
  });

  it("deploys a change that is more than a count, starting with the new count", async () => {
    const first = await create(fixed(1));
    await update({
      ...fixed(2),
      envs: [{ key: "A", value: "1", scope: "RUN_TIME" }],
    });
    await waitFor(async () => (await deployments()).length === 2, 5000, "a second deployment");
    const second = (await deployments()).find((d) => d.metadata.name !== first.metadata.name);
    await waitFor(
      async () => (await live()).filter((i) => i.spec.deployment === second?.metadata.name).length === 2,
      5000,
      "two instances of the new deployment",
    );
  });

  it("autoscales on CPU up to max and back to min after the stabilization window", async () => {
    const d = await create(autoscaled);
    cpu = 100;
    await waitFor(() => ready(3), 5000, "3 instances under load");
    cpu = 5;
    await waitFor(() => ready(1), 5000, "back to 1 when idle");
    const all = await deployments();
    assert.deepEqual(
      all.map((x) => x.metadata.name),
      [d.metadata.name],
    );
    assert.deepEqual(all[0]?.spec.scale, { web: 1 });
    assert.ok(all[0]?.metadata.annotations?.["slipway.dev/scaled-at"]);
    cpu = 0;
  });
});
