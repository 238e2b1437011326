/**
 * Rollouts end to end through the controllers on the real SQLite store: App -> Deployment ->
 * Builds -> Instances -> ACTIVE, a second deployment superseding the first, failures leaving the
 * previous deployment serving, the deploy deadline, lost instances replaced, and a controller
 * restart mid-rollout. The builder and the instance driver are in-process fakes that record what
 * they are asked (the real driver runs gVisor sandboxes and is tested in test/rollout-e2e);
 * here the subject is the controllers' side of the contract.
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
import type { Manager } from "./runtime/manager.js";
import { createSlipwayManager } from "./slipway-manager.js";

const NS = "acme";

/** A fake run: its state is what the test says; stops are recorded. */
class FakeRun implements RunningInstance {
  observation: InstanceObservation = {
    phase: "Starting",
    ready: false,
    restarts: 0,
    address: "10.0.0.1",
    port: 8080,
  };
  stopped = false;
  constructor(
    readonly name: string,
    readonly onChange: () => void,
  ) {}
  state(): InstanceObservation {
    return this.observation;
  }
  set(o: Partial<InstanceObservation>): void {
    this.observation = { ...this.observation, ...o };
    this.onChange();
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

class FakeDriver implements InstanceDriver {
  readonly runs: FakeRun[] = [];
  /** When true, every new run reports ready at once. */
  autoReady = false;
  async run(request: Parameters<InstanceDriver["run"]>[0]): Promise<RunningInstance> {
    const run = new FakeRun(request.instance.metadata.name, request.onChange);
    this.runs.push(run);
    if (this.autoReady) queueMicrotask(() => run.set({ phase: "Running", ready: true }));
    return run;
  }
  of(name: string): FakeRun[] {
    return this.runs.filter((r) => r.name === name);
  }
}

const builder: Builder = {
  build: async (request) =>
    ({ artifactId: `art-${request.build.spec.component}-${request.build.spec.deployment}` }) as never,
};

function appSpec(greeting: string, count = 2): AppSpec {
  return {
    name: "shop",
    services: [
      {
        name: "web",
        git: { repo_clone_url: "https://example.com/r.git", branch: "main" },
        instance_count: count,
        termination: { drain_seconds: 1 },
        envs: [{ key: "GREETING", value: greeting, scope: "RUN_TIME" }],
      },
    ],
  };
}

async function deployments(store: Store): Promise<Deployment[]> {
  const { items } = await store.list<Deployment>("Deployment", { namespace: NS });
  return items.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
}

async function instances(store: Store): Promise<Instance[]> {
  return (await store.list<Instance>("Instance", { namespace: NS })).items;
}

async function phaseOf(store: Store, index: number): Promise<string | undefined> {
  return (await deployments(store))[index]?.status?.phase;
}

describe("rollouts through the controllers", () => {
  let temp: TempStore;
  let manager: Manager | undefined;
  let driver: FakeDriver;
  let store: Store;
  const start = async (deployTimeoutMs?: number) => {
    manager = createSlipwayManager({
      store,
      builder,
      instanceDriver: driver,
      ...(deployTimeoutMs === undefined ? {} : { deployTimeoutMs }),
    });
    await manager.start();
  };
  beforeEach(async () => {
    temp = await tempStore();
    store = temp.open();
    driver = new FakeDriver();
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await temp.cleanup();
  });

  async function createApp(spec = appSpec("one")): Promise<void> {
    await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: { appSpec: spec },
    });
  }

  async function updateApp(spec: AppSpec): Promise<void> {
    const app = await store.get<App>("App", { namespace: NS, name: "shop" });
    await store.update<App>({ ...app, spec: { appSpec: spec } });
  }

  it("creates instance_count instances, goes DEPLOYING, and ACTIVE once all are ready", async () => {
    await start();
    await createApp();
    await waitFor(async () => (await phaseOf(store, 0)) === "DEPLOYING", 5000, "DEPLOYING");
    await waitFor(() => driver.runs.length === 2, 5000, "two runs");
    const [d] = await deployments(store);
    assert.deepEqual((await instances(store)).map((i) => [i.metadata.name, i.spec.artifactId]).sort(), [
      [`${d?.metadata.name}-web-0`, `art-web-${d?.metadata.name}`],
      [`${d?.metadata.name}-web-1`, `art-web-${d?.metadata.name}`],
    ]);
    driver.runs[0]?.set({ phase: "Running", ready: true });
    await waitFor(
      async () => (await instances(store)).some((i) => i.status?.ready === true),
      5000,
      "a ready status",
    );
    assert.equal(await phaseOf(store, 0), "DEPLOYING", "one of two ready is not enough");
    driver.runs[1]?.set({ phase: "Running", ready: true });
    await waitFor(async () => (await phaseOf(store, 0)) === "ACTIVE", 5000, "ACTIVE");
    const app = await store.get<App>("App", { namespace: NS, name: "shop" });
    await waitFor(
      async () =>
        (await store.get<App>("App", { namespace: NS, name: "shop" })).status?.activeDeployment ===
        d?.metadata.name,
      5000,
      "the App's active deployment",
    );
    assert.ok(app);
    const deploy = (await deployments(store))[0]?.status?.progress.steps.find((s) => s.name === "deploy");
    assert.equal(deploy?.status, "SUCCESS");
  });

  it("supersedes the previous deployment once the new one is ready, then drains and deletes its instances", async () => {
    driver.autoReady = true;
    await start();
    await createApp();
    await waitFor(async () => (await phaseOf(store, 0)) === "ACTIVE", 5000, "first ACTIVE");
    const [first] = await deployments(store);
    driver.autoReady = false;
    await updateApp(appSpec("two"));
    await waitFor(async () => (await phaseOf(store, 1)) === "DEPLOYING", 5000, "second DEPLOYING");
    assert.equal(await phaseOf(store, 0), "ACTIVE", "the first serves while the second is not ready");
    const oldRuns = driver.runs.filter((r) => r.name.startsWith(first?.metadata.name ?? "?"));
    assert.equal(oldRuns.length, 2);
    for (const r of driver.runs.filter((r) => !oldRuns.includes(r))) r.set({ phase: "Running", ready: true });
    await waitFor(async () => (await phaseOf(store, 1)) === "ACTIVE", 5000, "second ACTIVE");
    await waitFor(async () => (await phaseOf(store, 0)) === "SUPERSEDED", 5000, "first SUPERSEDED");
    await waitFor(() => oldRuns.every((r) => r.stopped), 10_000, "old instances stopped after their drain");
    await waitFor(
      async () => (await instances(store)).every((i) => i.spec.deployment !== first?.metadata.name),
      10_000,
      "old instances deleted",
    );
    assert.equal((await instances(store)).length, 2);
  });

  it("fails a deployment whose instance fails, leaving the previous one serving untouched", async () => {
    driver.autoReady = true;
    await start();
    await createApp();
    await waitFor(async () => (await phaseOf(store, 0)) === "ACTIVE", 5000, "first ACTIVE");
    driver.autoReady = false;
    await updateApp(appSpec("broken"));
    await waitFor(() => driver.runs.length === 4, 5000, "new runs");
    driver.runs[2]?.set({
      phase: "Failed",
      ready: false,
      message: "exited with code 1 three times: Error: boom",
    });
    await waitFor(async () => (await phaseOf(store, 1)) === "ERROR", 5000, "ERROR");
    const [first, second] = await deployments(store);
    const progressing = second?.status?.conditions?.find((c) => c.type === "Progressing");
    assert.match(
      progressing?.message ?? "",
      /failed: exited with code 1 three times: Error: boom; the previous deployment keeps serving/,
    );
    assert.equal(first?.status?.phase, "ACTIVE");
    await waitFor(
      () => driver.runs.slice(2).every((r) => r.stopped),
      10_000,
      "the failed deployment's instances stopped",
    );
    assert.ok(
      driver.runs.slice(0, 2).every((r) => !r.stopped),
      "the serving instances were not touched",
    );
  });

  it("fails a deployment whose instances are not ready by the deadline", async () => {
    await start(300);
    await createApp();
    await waitFor(async () => (await phaseOf(store, 0)) === "ERROR", 10_000, "ERROR at the deadline");
    const [d] = await deployments(store);
    assert.match(JSON.stringify(d?.status?.conditions), /not ready within 0 s/);
  });

  it("replaces an instance of an ACTIVE deployment that disappeared", async () => {
    driver.autoReady = true;
    await start();
    await createApp(appSpec("one", 1));
    await waitFor(async () => (await phaseOf(store, 0)) === "ACTIVE", 5000, "ACTIVE");
    const [instance] = await instances(store);
    assert.ok(instance);
    await store.delete("Instance", { namespace: NS, name: instance.metadata.name });
    await waitFor(
      async () => (await instances(store)).some((i) => i.metadata.uid !== instance.metadata.uid),
      5000,
      "a new instance of the same name",
    );
    await waitFor(
      () => driver.runs.length === 2 && driver.runs[0]?.stopped === true,
      5000,
      "the old run stopped, a new one started",
    );
  });

  it("converges after a controller restart in the middle of a rollout", async () => {
    await start();
    await createApp(appSpec("one", 1));
    await waitFor(() => driver.runs.length === 1, 5000, "a run");
    await manager?.stop();
    driver.autoReady = true;
    manager = undefined;
    await start();
    await waitFor(async () => (await phaseOf(store, 0)) === "ACTIVE", 5000, "ACTIVE after the restart");
    assert.equal((await instances(store)).length, 1);
  });
});
