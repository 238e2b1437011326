/**
 * The BUILDING phase end to end through the controllers, on the real SQLite store.
 *
 * The builder is an in-process one that records its calls and does what each test tells it
 * (succeed, fail, or block until aborted). The real builder needs gVisor and a built stack and
 * is tested on its own (src/build); here the subject is the controllers' side of the contract.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Build } from "../resources/build.js";
import type { Deployment } from "../resources/deployment.js";
import { API_VERSION, type NewResource } from "../resources/meta.js";
import { newBuilds } from "../resources/new-build.js";
import { newDeployment } from "../resources/new-deployment.js";
import type { Store } from "../store/store.js";
import { createBuildController } from "./build-controller.js";
import type { Builder, BuildRequest, BuildResult } from "./builder.js";
import { BUILDER_NOT_AVAILABLE } from "./deployment-controller.js";
import { createManager, type Manager } from "./runtime/manager.js";
import { createSlipwayManager } from "./slipway-manager.js";

const NS = "acme";

/** What the recording builder does for one call. */
type Plan = { kind: "succeed"; reused?: boolean } | { kind: "fail"; message: string } | { kind: "block" };

interface Call {
  build: string;
  attempt: number;
  aborted: boolean;
}

/** A Builder that records calls; per component, plays the queued plans, then succeeds. */
class RecordingBuilder implements Builder {
  readonly calls: Call[] = [];
  readonly #plans = new Map<string, Plan[]>();

  plan(component: string, ...plans: Plan[]): void {
    this.#plans.set(component, [...(this.#plans.get(component) ?? []), ...plans]);
  }

  callsOf(build: string): Call[] {
    return this.calls.filter((c) => c.build === build);
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const { build, signal, log } = request;
    const call: Call = { build: build.metadata.name, attempt: build.status?.attempts ?? 0, aborted: false };
    this.calls.push(call);
    log(`building ${build.spec.component}`);
    const plan = this.#plans.get(build.spec.component)?.shift() ?? { kind: "succeed" };
    switch (plan.kind) {
      case "succeed":
        return { artifactId: `sha256:${build.spec.component}`, reused: plan.reused ?? false };
      case "fail":
        throw new Error(plan.message);
      case "block":
        return new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            call.aborted = true;
            reject(new Error("aborted"));
          });
        });
      default: {
        const unknown: never = plan;
        throw new Error(`bad plan ${JSON.stringify(unknown)}`);
      }
    }
  }
}

function twoComponentApp(): NewResource<App> {
  return {
    apiVersion: API_VERSION,
    kind: "App",
    metadata: { name: "shop", namespace: NS },
    spec: {
      appSpec: {
        name: "shop",
        envs: [{ key: "API_KEY", value: "s3cret-value", type: "SECRET" }],
        services: [
          {
            name: "web",
            git: { repo_clone_url: "https://example.com/r.git", branch: "main" },
            build_command: "npm run build",
            envs: [
              { key: "NODE_ENV", value: "production", scope: "BUILD_TIME" },
              { key: "RUNTIME_ONLY", value: "x", scope: "RUN_TIME" },
            ],
          },
        ],
        workers: [{ name: "queue", github: { repo: "acme/queue", branch: "main" }, source_dir: "worker" }],
      },
    },
  };
}

async function deploymentOf(store: Store): Promise<Deployment> {
  const [deployment, ...others] = (await store.list<Deployment>("Deployment", { namespace: NS })).items;
  assert.ok(deployment !== undefined && others.length === 0, "exactly one deployment");
  return deployment;
}

async function buildsOf(store: Store): Promise<Build[]> {
  return (await store.list<Build>("Build", { namespace: NS })).items;
}

async function waitForPhase(
  store: Store,
  phase: string,
  message = `deployment ${phase}`,
): Promise<Deployment> {
  await waitFor(
    async () => (await deploymentOf(store).catch(() => undefined))?.status?.phase === phase,
    5000,
    message,
  );
  return deploymentOf(store);
}

async function waitForBuild(
  store: Store,
  name: string,
  test: (b: Build) => boolean,
  what: string,
): Promise<Build> {
  const key = { namespace: NS, name };
  await waitFor(
    async () => test(await store.get<Build>("Build", key).catch(() => undefined as never)),
    5000,
    what,
  );
  return store.get<Build>("Build", key);
}

describe("Deployment and Build controllers with a builder", () => {
  let temp: TempStore;
  let manager: Manager | undefined;
  let builder: RecordingBuilder;
  const start = async (store: Store) => {
    manager = createSlipwayManager({ store, builder });
    await manager.start();
  };
  beforeEach(async () => {
    temp = await tempStore();
    builder = new RecordingBuilder();
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await temp.cleanup();
  });

  it("records the log reference, frames each attempt in the log and keeps the built commit", async () => {
    const store = temp.open();
    const lines: string[] = [];
    builder.plan("queue", { kind: "fail", message: "npm ci exited with 1" });
    manager = createSlipwayManager({
      store,
      builder: {
        build: async (request) => ({ ...(await builder.build(request)), sourceCommitHash: "c0ffee" }),
      },
      onBuildLogLine: (key, line) => lines.push(`${key.name}: ${line}`),
      buildLogRef: (key) => `build/${key.namespace}/${key.name}`,
    });
    await manager.start();
    await store.create<App>(twoComponentApp());
    const d = await waitForPhase(store, "ERROR");
    const web = await store.get<Build>("Build", { namespace: NS, name: `${d.metadata.name}-web` });
    assert.equal(web.status?.logRef, `build/${NS}/${d.metadata.name}-web`);
    assert.equal(web.status?.sourceCommitHash, "c0ffee");
    await waitFor(async () => lines.some((l) => l.includes("build failed")), 5000, "the failure line");
    const queue = lines
      .filter((l) => l.startsWith(`${d.metadata.name}-queue: `))
      .map((l) => l.split(": ").slice(1).join(": "));
    assert.deepEqual(queue, [
      "==> build attempt 1 of queue started",
      "building queue",
      "==> build failed: npm ci exited with 1",
    ]);
  });

  it("builds each component once and reaches PENDING_DEPLOY with the artifacts", async () => {
    const store = temp.open();
    await start(store);
    await store.create<App>(twoComponentApp());
    const d = await waitForPhase(store, "PENDING_DEPLOY");
    assert.deepEqual(d.status?.artifacts, { web: "sha256:web", queue: "sha256:queue" });
    const p = d.status?.progress;
    assert.deepEqual(
      [p?.total_steps, p?.success_steps, p?.pending_steps, p?.running_steps, p?.error_steps],
      [9, 3, 6, 0, 0],
    );
    const build = p?.steps.find((s) => s.name === "build");
    assert.equal(build?.status, "SUCCESS");
    const components = build?.steps?.find((s) => s.name === "components")?.steps ?? [];
    assert.deepEqual(
      components.map((s) => [s.name, s.status, typeof s.started_at, typeof s.ended_at]),
      [
        ["web", "SUCCESS", "string", "string"],
        ["queue", "SUCCESS", "string", "string"],
      ],
    );
    const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
    assert.equal(progressing?.reason, "RuntimeNotAvailable");
    const builds = await buildsOf(store);
    assert.deepEqual(builds.map((b) => b.metadata.name).sort(), [
      `${d.metadata.name}-queue`,
      `${d.metadata.name}-web`,
    ]);
    assert.equal(builder.calls.length, 2);
    const app = await store.get<App>("App", { namespace: NS, name: "shop" });
    assert.equal(app.status?.inProgressDeployment, d.metadata.name);
  });

  it("gives a Build the component's source, build fields and build-time env keys, never values", async () => {
    const store = temp.open();
    await start(store);
    await store.create<App>(twoComponentApp());
    const d = await waitForPhase(store, "PENDING_DEPLOY");
    const web = await store.get<Build>("Build", { namespace: NS, name: `${d.metadata.name}-web` });
    assert.deepEqual(web.spec, {
      app: "shop",
      deployment: d.metadata.name,
      component: "web",
      componentKind: "services",
      source: { git: { repo_clone_url: "https://example.com/r.git", branch: "main" } },
      buildFields: { build_command: "npm run build" },
      buildEnv: ["API_KEY", "NODE_ENV"],
      forceBuild: false,
    });
    assert.deepEqual(web.metadata.ownerReferences?.[0]?.uid, d.metadata.uid);
    assert.equal(web.status?.phase, "SUCCEEDED");
    assert.equal(web.status?.attempts, 1);
    assert.doesNotMatch(JSON.stringify(await buildsOf(store)), /s3cret-value/);
    const queue = await store.get<Build>("Build", { namespace: NS, name: `${d.metadata.name}-queue` });
    assert.equal(queue.spec.componentKind, "workers");
    assert.deepEqual(queue.spec.buildFields, { source_dir: "worker" });
  });

  it("a failed build puts the deployment in ERROR with the reason; the other build finishes", async () => {
    builder.plan("web", { kind: "fail", message: "npm run build exited with status 1" });
    const store = temp.open();
    await start(store);
    await store.create<App>(twoComponentApp());
    const d = await waitForPhase(store, "ERROR");
    const components = d.status?.progress.steps[0]?.steps?.find((s) => s.name === "components")?.steps ?? [];
    const web = components.find((s) => s.name === "web");
    assert.equal(web?.status, "ERROR");
    assert.deepEqual(web?.reason, { code: "BuildFailed", message: "npm run build exited with status 1" });
    assert.equal(d.status?.progress.error_steps, 1);
    assert.equal(d.status?.artifacts, undefined);
    const failed = await store.get<Build>("Build", { namespace: NS, name: `${d.metadata.name}-web` });
    assert.equal(failed.status?.phase, "FAILED");
    assert.equal(failed.status?.message, "npm run build exited with status 1");
    await waitForBuild(
      store,
      `${d.metadata.name}-queue`,
      (b) => b.status?.phase === "SUCCEEDED",
      "queue to build",
    );
    assert.equal(builder.callsOf(`${d.metadata.name}-web`).length, 1, "a failed build is not retried");
  });

  it("canceling the deployment aborts a running build and marks it CANCELED", async () => {
    builder.plan("web", { kind: "block" });
    const store = temp.open();
    await start(store);
    await store.create<App>(twoComponentApp());
    const building = await waitForPhase(store, "BUILDING");
    const name = `${building.metadata.name}-web`;
    await waitFor(() => builder.callsOf(name).length === 1, 5000, "the web build to start");
    const d = await deploymentOf(store);
    await store.updateStatus<Deployment>({
      ...d,
      status: { ...(d.status as NonNullable<Deployment["status"]>), phase: "CANCELED" },
    });
    const canceled = await waitForBuild(
      store,
      name,
      (b) => b.status?.phase === "CANCELED",
      "web to be canceled",
    );
    assert.equal(canceled.spec.canceled, true);
    assert.equal(canceled.status?.message, "the build was canceled");
    await waitFor(() => builder.callsOf(name)[0]?.aborted === true, 5000, "the builder call to be aborted");
    assert.equal((await deploymentOf(store)).status?.phase, "CANCELED");
  });

  it("a restart mid-build runs the RUNNING build once more and creates no duplicate Builds", async () => {
    builder.plan("web", { kind: "block" });
    let store = temp.open();
    await start(store);
    await store.create<App>(twoComponentApp());
    const first = await waitForPhase(store, "BUILDING");
    const name = `${first.metadata.name}-web`;
    await waitForBuild(store, name, (b) => b.status?.phase === "RUNNING", "web to run");
    await waitFor(() => builder.callsOf(name).length === 1, 5000, "the web build to start");
    // A build whose call ended but whose outcome is not written yet would run again too.
    const queue = `${first.metadata.name}-queue`;
    await waitForBuild(store, queue, (b) => b.status?.phase === "SUCCEEDED", "queue to build");
    await manager?.stop();
    manager = undefined;
    assert.equal(builder.callsOf(name)[0]?.aborted, true, "stopping aborts the call");
    assert.equal((await store.get<Build>("Build", { namespace: NS, name })).status?.phase, "RUNNING");
    await store.close();
    store = temp.open();
    await start(store);
    const d = await waitForPhase(store, "PENDING_DEPLOY", "the restarted build to finish");
    assert.deepEqual(
      builder.callsOf(name).map((c) => c.attempt),
      [1, 2],
    );
    const web = await store.get<Build>("Build", { namespace: NS, name });
    assert.equal(web.status?.attempts, 2);
    assert.equal((await buildsOf(store)).length, 2);
    assert.equal(builder.callsOf(queue).length, 1, "a SUCCEEDED build is not run again");
    assert.equal(d.status?.artifacts?.web, "sha256:web");
  });
});

describe("Build controller", () => {
  it("never starts a second call for a Build while one is in flight, whatever events arrive", async () => {
    const temp = await tempStore();
    const store = temp.open();
    const builder = new RecordingBuilder();
    builder.plan("web", { kind: "block" });
    const controller = createBuildController({ store, builder });
    const manager = createManager({ store, controllers: [controller] });
    try {
      await manager.start();
      const app = await store.create<App>(twoComponentApp());
      const d = newDeployment(app, {
        name: "shop-1",
        cause: "x",
        causeDetails: { type: "MANUAL" },
        now: new Date(),
      });
      const deployment = await store.create<Deployment>(d);
      const [web] = newBuilds(deployment);
      assert.ok(web !== undefined);
      const key = { namespace: NS, name: web.metadata.name };
      await store.create<Build>(web);
      await waitFor(() => builder.calls.length === 1, 5000, "the build to start");
      for (let i = 0; i < 5; i++) {
        const before = controller.stats().reconciles;
        const current = await store.get<Build>("Build", key);
        await store.update<Build>({
          ...current,
          metadata: { ...current.metadata, labels: { touch: String(i) } },
        });
        await waitFor(() => controller.stats().reconciles > before && controller.idle(), 5000, "a reconcile");
      }
      assert.equal(builder.calls.length, 1);
      assert.equal((await store.get<Build>("Build", key)).status?.attempts, 1);
    } finally {
      await manager.stop();
      await temp.cleanup();
    }
  });
});

describe("Deployment controller without a builder", () => {
  it("leaves the deployment in PENDING_BUILD with BuilderNotAvailable and creates no Builds", async () => {
    const temp = await tempStore();
    const store = temp.open();
    const manager = createSlipwayManager({ store });
    try {
      await manager.start();
      await store.create<App>(twoComponentApp());
      await waitFor(
        async () =>
          (await store.list<Deployment>("Deployment", { namespace: NS })).items.some((d) =>
            d.status?.conditions?.some((c) => c.reason === BUILDER_NOT_AVAILABLE.reason),
          ),
        5000,
        "the deployment to be marked",
      );
      assert.equal((await deploymentOf(store)).status?.phase, "PENDING_BUILD");
      assert.deepEqual(await buildsOf(store), []);
    } finally {
      await manager.stop();
      await temp.cleanup();
    }
  });
});
