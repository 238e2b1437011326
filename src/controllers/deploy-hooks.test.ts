/**
 * Deploy hooks through the controllers on the real SQLite store, with an in-process builder,
 * instance driver and job runner that record what they are asked (the real runner is tested in
 * test/server-jobs): the PRE_DEPLOY job gates the instances, and a control-plane restart in the
 * middle of it fails the job and the deployment instead of running the job a second time.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import type { JobInvocation } from "../resources/job-invocation.js";
import { API_VERSION } from "../resources/meta.js";
import type { AppSpec } from "../spec/index.js";
import type { Store } from "../store/store.js";
import type { Builder } from "./builder.js";
import type { InstanceDriver, RunningInstance } from "./instance-driver.js";
import { INTERRUPTED_MESSAGE } from "./job-invocation-controller.js";
import type { JobRunner, JobRunRequest, JobRunResult } from "./job-runner.js";
import type { Manager } from "./runtime/manager.js";
import { createSlipwayManager } from "./slipway-manager.js";

const NS = "acme";
const SOURCE = { git: { repo_clone_url: "https://example.com/r.git", branch: "main" } };

const spec: AppSpec = {
  name: "shop",
  services: [{ name: "web", ...SOURCE }],
  jobs: [{ name: "migrate", ...SOURCE, kind: "PRE_DEPLOY", run_command: "migrate" }],
};

const builder: Builder = {
  build: async (request) => ({ artifactId: `art-${request.build.spec.component}` }) as never,
};

/** Every instance is ready at once. */
const driver: InstanceDriver = {
  run: async ({ onChange }): Promise<RunningInstance> => {
    queueMicrotask(onChange);
    return {
      state: () => ({ phase: "Running", ready: true, restarts: 0, address: "10.0.0.1", port: 8080 }),
      stop: async () => {},
    };
  },
};

/** A runner whose runs end when the test says, or when aborted. */
class HeldRunner implements JobRunner {
  readonly calls: JobRunRequest[] = [];
  readonly #release: ((result: JobRunResult) => void)[] = [];
  run(request: JobRunRequest): Promise<JobRunResult> {
    this.calls.push(request);
    return new Promise((resolve, reject) => {
      this.#release.push(resolve);
      request.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  }
  finish(index: number, exitCode: number): void {
    this.#release[index]?.({ exitCode });
  }
}

describe("deploy hooks through the controllers", () => {
  let temp: TempStore;
  let store: Store;
  let manager: Manager | undefined;
  const start = async (runner: JobRunner) => {
    manager = createSlipwayManager({ store, builder, instanceDriver: driver, jobRunner: runner });
    await manager.start();
  };
  const deployment = async () => (await store.list<Deployment>("Deployment", { namespace: NS })).items[0];
  const instances = async () => (await store.list<Instance>("Instance", { namespace: NS })).items;
  const invocations = async () => (await store.list<JobInvocation>("JobInvocation", { namespace: NS })).items;
  beforeEach(async () => {
    temp = await tempStore();
    store = temp.open();
    await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: { appSpec: spec },
    });
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await temp.cleanup();
  });

  it("creates instances only after the PRE_DEPLOY job succeeded", async () => {
    const runner = new HeldRunner();
    await start(runner);
    await waitFor(() => runner.calls.length === 1, 5000, "the pre-deploy run");
    assert.equal(runner.calls[0]?.invocation.spec.trigger, "PRE_DEPLOY");
    assert.equal((await deployment())?.status?.phase, "PENDING_DEPLOY");
    assert.deepEqual(await instances(), []);
    runner.finish(0, 0);
    await waitFor(async () => (await deployment())?.status?.phase === "ACTIVE", 5000, "ACTIVE");
    assert.equal((await instances()).length, 1);
    assert.equal(runner.calls.length, 1);
  });

  it("fails an interrupted PRE_DEPLOY job and its deployment after a restart instead of running it again", async () => {
    const runner = new HeldRunner();
    await start(runner);
    await waitFor(() => runner.calls.length === 1, 5000, "the pre-deploy run");
    await waitFor(
      async () => (await invocations())[0]?.status?.phase === "RUNNING",
      5000,
      "the invocation RUNNING",
    );
    // The control plane goes away mid-job (its runs are aborted; the invocation stays RUNNING).
    await manager?.stop();
    manager = undefined;
    const second = new HeldRunner();
    await start(second);
    await waitFor(async () => (await deployment())?.status?.phase === "ERROR", 5000, "ERROR");
    const [inv] = await invocations();
    assert.equal(inv?.status?.phase, "FAILED");
    assert.equal(inv?.status?.message, INTERRUPTED_MESSAGE);
    const reason = (await deployment())?.status?.conditions?.find((c) => c.type === "Progressing")?.message;
    assert.match(reason ?? "", /^pre-deploy job migrate failed: interrupted by a control-plane restart/);
    assert.equal(second.calls.length, 0, "not run again");
    assert.deepEqual(await instances(), []);
  });
});
