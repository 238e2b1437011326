import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import { API_VERSION, type NewResource } from "../resources/meta.js";
import { newDeployment } from "../resources/new-deployment.js";
import { normalize } from "../spec/index.js";
import type { Store } from "../store/store.js";
import { createAppController } from "./app-controller.js";
import { DEPLOYMENT_CREATED } from "./app-status.js";
import { BUILDER_NOT_AVAILABLE, createDeploymentController } from "./deployment-controller.js";
import type { Controller } from "./runtime/controller.js";
import { createManager, type Manager } from "./runtime/manager.js";
import { exponentialBackoff } from "./runtime/rate-limiter.js";

const KEY = { namespace: "acme", name: "shop" };

function shopApp(): NewResource<App> {
  return {
    apiVersion: API_VERSION,
    kind: "App",
    metadata: { name: "shop", namespace: "acme" },
    spec: {
      appSpec: {
        name: "shop",
        services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git" } }],
      },
    },
  };
}

interface Running {
  manager: Manager;
  app: Controller;
  deployment: Controller;
}

async function startControllers(store: Store): Promise<Running> {
  const app = createAppController({ store });
  const deployment = createDeploymentController({ store });
  const manager = createManager({ store, controllers: [app, deployment] });
  await manager.start();
  return { manager, app, deployment };
}

async function deploymentsOf(store: Store): Promise<Deployment[]> {
  return (await store.list<Deployment>("Deployment", { namespace: "acme" })).items;
}

/** Waits until the App observed `generation` and every Deployment carries the waiting condition. */
async function settled(store: Store, running: Running, generation: number): Promise<void> {
  await waitFor(
    async () => {
      const app = await store.get<App>("App", KEY);
      const deployments = await deploymentsOf(store);
      const marked = deployments.every((d) =>
        d.status?.conditions?.some((c) => c.reason === BUILDER_NOT_AVAILABLE.reason),
      );
      return (
        app.status?.observedGeneration === generation &&
        marked &&
        running.app.idle() &&
        running.deployment.idle()
      );
    },
    5000,
    `App generation ${generation} to be reconciled`,
  );
}

describe("App and Deployment controllers", () => {
  let temp: TempStore;
  let running: Running | undefined;
  beforeEach(async () => {
    temp = await tempStore();
  });
  afterEach(async () => {
    await running?.manager.stop();
    running = undefined;
    await temp.cleanup();
  });

  it("creating an App yields exactly one Deployment with the spec snapshot and cause", async () => {
    const store = temp.open();
    running = await startControllers(store);
    const created = await store.create<App>(shopApp());
    await settled(store, running, 1);
    const [deployment, ...others] = await deploymentsOf(store);
    assert.ok(deployment !== undefined);
    assert.equal(others.length, 0);
    assert.match(deployment.metadata.name, /^shop-[0-9a-f]{8}$/);
    assert.deepEqual(deployment.spec.appSpec, normalize(created.spec.appSpec));
    assert.equal(deployment.spec.cause, "initial deployment");
    assert.deepEqual(deployment.spec.causeDetails, { type: "MANUAL", action: "CREATE_DEPLOYMENT" });
    assert.equal(deployment.spec.appUid, created.metadata.uid);
    assert.equal(deployment.status?.phase, "PENDING_BUILD");
    const progressing = deployment.status?.conditions?.find((c) => c.type === "Progressing");
    assert.deepEqual(
      { ...progressing, lastTransitionTime: undefined },
      { ...BUILDER_NOT_AVAILABLE, observedGeneration: 1, lastTransitionTime: undefined },
    );
    assert.equal(deployment.status?.observedGeneration, 1);
    const app = await store.get<App>("App", KEY);
    assert.equal(app.status?.pendingDeployment, deployment.metadata.name);
    assert.equal(app.status?.inProgressDeployment, undefined);
    assert.equal(app.status?.activeDeployment, undefined);
    assert.equal(app.status?.lastDeploymentCreatedAt, deployment.metadata.creationTimestamp);
    const condition = app.status?.conditions?.find((c) => c.type === DEPLOYMENT_CREATED);
    assert.equal(condition?.status, "True");
    assert.equal(condition?.observedGeneration, 1);
  });

  it("updating the spec yields a second Deployment caused by 'app spec updated'", async () => {
    const store = temp.open();
    running = await startControllers(store);
    await store.create<App>(shopApp());
    await settled(store, running, 1);
    const app = await store.get<App>("App", KEY);
    const services = [
      { name: "web", instance_count: 2, git: { repo_clone_url: "https://example.com/r.git" } },
    ];
    await store.update<App>({ ...app, spec: { appSpec: { ...app.spec.appSpec, services } } });
    await settled(store, running, 2);
    const deployments = await deploymentsOf(store);
    assert.equal(deployments.length, 2);
    const second = deployments.find((d) => d.spec.appGeneration === 2);
    assert.equal(second?.spec.cause, "app spec updated");
    assert.deepEqual(second?.spec.causeDetails, { type: "MANUAL", action: "UPDATE_SPEC" });
    assert.equal(second?.spec.appSpec.services?.[0]?.instance_count, 2);
    assert.equal(second?.metadata.labels?.["slipway.dev/app-generation"], "2");
    const first = deployments.find((d) => d.spec.appGeneration === 1);
    assert.equal(first?.status?.phase, "PENDING_BUILD", "an older pending deployment is left as it is");
    assert.equal((await store.get<App>("App", KEY)).status?.pendingDeployment, second?.metadata.name);
  });

  it("a status-only App write creates no Deployment and keeps fields other controllers own", async () => {
    const store = temp.open();
    running = await startControllers(store);
    await store.create<App>(shopApp());
    await settled(store, running, 1);
    const before = running.app.stats().reconciles;
    const app = await store.get<App>("App", KEY);
    const written = await store.updateStatus<App>({
      ...app,
      status: { ...app.status, liveUrl: "http://shop.example.test" },
    });
    const appController = running.app;
    await waitFor(
      () => appController.stats().reconciles > before && appController.idle(),
      5000,
      "a reconcile",
    );
    assert.equal((await deploymentsOf(store)).length, 1);
    const after = await store.get<App>("App", KEY);
    assert.equal(after.status?.liveUrl, "http://shop.example.test");
    assert.equal(
      after.metadata.resourceVersion,
      written.metadata.resourceVersion,
      "the controller wrote nothing",
    );
    assert.equal(after.metadata.generation, 1);
  });

  it("restarting the controllers on the same database creates no duplicates", async () => {
    let store = temp.open();
    running = await startControllers(store);
    await store.create<App>(shopApp());
    await settled(store, running, 1);
    const names = (await deploymentsOf(store)).map((d) => d.metadata.name);
    await running.manager.stop();
    running = undefined;
    await store.close();
    store = temp.open();
    running = await startControllers(store);
    const restarted = running;
    await waitFor(
      () => restarted.app.stats().reconciles >= 1 && restarted.deployment.stats().reconciles >= 1,
      5000,
      "the restarted controllers to reconcile",
    );
    await settled(store, restarted, 1);
    assert.deepEqual(
      (await deploymentsOf(store)).map((d) => d.metadata.name),
      names,
    );
  });

  it("finds a Deployment created before a crash by its labels instead of creating another", async () => {
    const store = temp.open();
    const app = await store.create<App>(shopApp());
    // As if the controller created this Deployment and crashed before writing the App status.
    const orphan = await store.create<Deployment>(
      newDeployment(app, {
        name: "shop-0badc0de",
        cause: "initial deployment",
        causeDetails: { type: "MANUAL", action: "CREATE_DEPLOYMENT" },
        now: new Date(),
      }),
    );
    running = await startControllers(store);
    await settled(store, running, 1);
    assert.deepEqual(
      (await deploymentsOf(store)).map((d) => d.metadata.name),
      [orphan.metadata.name],
    );
    assert.equal((await store.get<App>("App", KEY)).status?.pendingDeployment, orphan.metadata.name);
  });

  it("a failing reconcile (a Deployment name clash) is retried with backoff", async () => {
    const store = temp.open();
    const app = await store.create<App>(shopApp());
    const squatter = newDeployment(
      { ...app, metadata: { ...app.metadata, name: "other", uid: "other-uid" } },
      { name: "shop-00000000", cause: "x", causeDetails: { type: "MANUAL" }, now: new Date() },
    );
    await store.create<Deployment>(squatter);
    const suffixes = ["00000000", "11111111"];
    const delays: number[] = [];
    const backoff = exponentialBackoff({ baseDelayMs: 5, maxDelayMs: 100 });
    const rateLimiter = {
      when: (key: string) => {
        const ms = backoff.when(key);
        delays.push(ms);
        return ms;
      },
      forget: (key: string) => backoff.forget(key),
      retries: (key: string) => backoff.retries(key),
    };
    const appController = createAppController({
      store,
      randomSuffix: () => suffixes.shift() ?? "ffffffff",
      queue: { rateLimiter },
    });
    const deployment = createDeploymentController({ store });
    running = {
      manager: createManager({ store, controllers: [appController, deployment] }),
      app: appController,
      deployment,
    };
    await running.manager.start();
    await settled(store, running, 1);
    assert.equal(appController.stats().errors, 1);
    assert.deepEqual(delays, [5]);
    assert.equal(rateLimiter.retries("acme/shop"), 0, "the success forgot the failure");
    assert.equal((await store.get<App>("App", KEY)).status?.pendingDeployment, "shop-11111111");
    const mine = (await deploymentsOf(store)).filter((d) => d.spec.appUid === app.metadata.uid);
    assert.deepEqual(
      mine.map((d) => d.metadata.name),
      ["shop-11111111"],
    );
  });

  it("an App created again under the same name gets its own Deployment", async () => {
    const store = temp.open();
    running = await startControllers(store);
    await store.create<App>(shopApp());
    await settled(store, running, 1);
    await store.delete("App", KEY);
    const again = await store.create<App>(shopApp());
    await settled(store, running, 1);
    const mine = (await deploymentsOf(store)).filter((d) => d.spec.appUid === again.metadata.uid);
    assert.equal(mine.length, 1);
    assert.equal((await store.get<App>("App", KEY)).status?.pendingDeployment, mine[0]?.metadata.name);
  });
});
