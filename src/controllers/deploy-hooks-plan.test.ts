import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { App } from "../resources/app.js";
import type { Deployment, DeploymentPhase, ProgressStep } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import type { JobInvocation, JobInvocationStatus } from "../resources/job-invocation.js";
import { API_VERSION, type NewResource } from "../resources/meta.js";
import { newDeployment } from "../resources/new-deployment.js";
import type { AppSpec } from "../spec/index.js";
import { hookKind } from "./deploy-hook-invocations.js";
import { planDeployment } from "./deploy-hooks-plan.js";

const NOW = new Date("2026-11-22T05:00:00Z");
const SOURCE = { git: { repo_clone_url: "https://example.com/r.git", branch: "main" } };

function spec(): AppSpec {
  return {
    name: "shop",
    services: [{ name: "web", ...SOURCE }],
    jobs: [
      { name: "migrate", ...SOURCE, kind: "PRE_DEPLOY", run_command: "node migrate.js" },
      { name: "notify", ...SOURCE, run_command: "node notify.js" },
      { name: "page", ...SOURCE, kind: "FAILED_DEPLOY", run_command: "node page.js" },
      {
        name: "report",
        ...SOURCE,
        kind: "SCHEDULED",
        schedule: { cron: "0 3 * * *" },
        run_command: "node report.js",
      },
    ],
  };
}

const app: App = {
  apiVersion: API_VERSION,
  kind: "App",
  metadata: {
    name: "shop",
    namespace: "acme",
    uid: "app-uid",
    resourceVersion: "1",
    generation: 1,
    creationTimestamp: NOW.toISOString(),
  },
  spec: { appSpec: spec() },
};

/** A built deployment of `spec()` in `phase`, with an artifact for every component. */
function deployment(phase: DeploymentPhase = "PENDING_DEPLOY", steps?: ProgressStep[]): Deployment {
  const d = newDeployment(app, {
    name: "shop-d1",
    cause: "test",
    causeDetails: { type: "MANUAL" },
    now: NOW,
  }) as NewResource<Deployment>;
  const status = d.status as NonNullable<Deployment["status"]>;
  return {
    ...d,
    metadata: {
      ...d.metadata,
      uid: "dep-uid",
      resourceVersion: "2",
      generation: 1,
      creationTimestamp: NOW.toISOString(),
    },
    status: {
      ...status,
      phase,
      progress: steps === undefined ? status.progress : { ...status.progress, steps },
      artifacts: { web: "a1", migrate: "a2", notify: "a3", page: "a4", report: "a5" },
    },
  } as Deployment;
}

/** The stored invocation of `planned`, in `status`. */
function stored(planned: NewResource<JobInvocation>, status?: JobInvocationStatus): JobInvocation {
  return {
    ...planned,
    metadata: {
      ...planned.metadata,
      uid: `uid-${planned.metadata.name}`,
      resourceVersion: "3",
      generation: 1,
      creationTimestamp: NOW.toISOString(),
    },
    ...(status === undefined ? {} : { status }),
  } as JobInvocation;
}

function ready(planned: NewResource<Instance>[]): Instance[] {
  return planned.map(
    (i) =>
      ({
        ...i,
        metadata: {
          ...i.metadata,
          uid: `uid-${i.metadata.name}`,
          resourceVersion: "4",
          generation: 1,
          creationTimestamp: NOW.toISOString(),
        },
        status: { phase: "Running", ready: true, restarts: 0 },
      }) as Instance,
  );
}

function jobStep(d: Pick<Deployment, "status">, name: string): ProgressStep | undefined {
  const deploy = d.status?.progress.steps.find((s) => s.name === "deploy");
  return deploy?.steps?.find((s) => s.name === "components")?.steps?.find((s) => s.name === name);
}

describe("deploy hooks plan", () => {
  it("reads the job kinds as DO does: UNSPECIFIED is POST_DEPLOY, SCHEDULED is no hook", () => {
    assert.equal(hookKind({}), "POST_DEPLOY");
    assert.equal(hookKind({ kind: "UNSPECIFIED" }), "POST_DEPLOY");
    assert.equal(hookKind({ kind: "PRE_DEPLOY" }), "PRE_DEPLOY");
    assert.equal(hookKind({ kind: "SCHEDULED" }), undefined);
  });

  it("creates no instance before every PRE_DEPLOY job succeeded", () => {
    const d = deployment();
    const first = planDeployment(d, [], [], { now: NOW });
    assert.deepEqual(first.create, []);
    assert.deepEqual(
      first.invoke.map((i) => [i.metadata.name, i.spec.trigger, i.metadata.ownerReferences?.[0]?.uid]),
      [["shop-d1.migrate", "PRE_DEPLOY", "dep-uid"]],
    );
    assert.equal(first.status?.phase, "PENDING_DEPLOY");
    assert.match(first.status?.conditions?.[0]?.message ?? "", /pre-deploy job\(s\) migrate/);
    const waiting = { ...d, status: first.status } as Deployment;
    const migrate = stored(first.invoke[0] as NewResource<JobInvocation>, {
      phase: "RUNNING",
      startedAt: NOW.toISOString(),
    });
    const running = planDeployment(waiting, [], [migrate], { now: NOW });
    assert.deepEqual(running.create, [], "still running: no instance");
    assert.deepEqual(running.invoke, [], "invoked once");
    assert.equal(jobStep(running, "migrate")?.status, "RUNNING");
    const done = stored(first.invoke[0] as NewResource<JobInvocation>, { phase: "SUCCEEDED", exitCode: 0 });
    const go = planDeployment(waiting, [], [done], { now: NOW });
    assert.deepEqual(
      go.create.map((i) => i.metadata.name),
      ["shop-d1-web-0"],
    );
    assert.equal(go.status?.phase, "DEPLOYING");
    assert.equal(jobStep(go, "migrate")?.status, "SUCCESS");
    assert.equal(jobStep(go, "notify")?.status, "PENDING", "POST_DEPLOY waits for ACTIVE");
  });

  it("puts the deployment in ERROR with the reason when a PRE_DEPLOY job fails, then runs FAILED_DEPLOY jobs", () => {
    const d = deployment();
    const [planned] = planDeployment(d, [], [], { now: NOW }).invoke;
    const failed = stored(planned as NewResource<JobInvocation>, {
      phase: "FAILED",
      exitCode: 3,
      message: "the job exited with code 3",
    });
    const plan = planDeployment(d, [], [failed], { now: NOW });
    assert.equal(plan.status?.phase, "ERROR");
    assert.deepEqual(plan.create, []);
    const message = plan.status?.conditions?.[0]?.message ?? "";
    assert.match(message, /^pre-deploy job migrate failed with exit code 3 /);
    assert.match(message, /slipway apps logs shop migrate --deployment shop-d1/);
    assert.match(message, /the previous deployment keeps serving/);
    assert.equal(jobStep(plan, "migrate")?.status, "ERROR");
    assert.ok((plan.status?.progress.error_steps ?? 0) > 0);
    // The next reconcile sees ERROR stored and invokes the FAILED_DEPLOY job, once.
    const errored = { ...d, status: plan.status } as Deployment;
    const next = planDeployment(errored, [], [failed], { now: NOW });
    assert.deepEqual(
      next.invoke.map((i) => [i.metadata.name, i.spec.trigger]),
      [["shop-d1.page", "FAILED_DEPLOY"]],
    );
    const page = stored(next.invoke[0] as NewResource<JobInvocation>);
    assert.deepEqual(planDeployment(errored, [], [failed, page], { now: NOW }).invoke, []);
  });

  it("runs POST_DEPLOY jobs once the deployment is ACTIVE, and their failure does not undo it", () => {
    const d = deployment("DEPLOYING");
    const migrate = stored(
      planDeployment(deployment(), [], [], { now: NOW }).invoke[0] as NewResource<JobInvocation>,
      {
        phase: "SUCCEEDED",
        exitCode: 0,
      },
    );
    const created = planDeployment(d, [], [migrate], { now: NOW }).create;
    const deploying = planDeployment(d, ready(created), [migrate], { now: NOW });
    assert.equal(deploying.status?.phase, "ACTIVE");
    assert.deepEqual(deploying.invoke, [], "not before ACTIVE is stored");
    assert.equal(jobStep(deploying, "page")?.status, "SUCCESS", "FAILED_DEPLOY has nothing to do");
    assert.equal(jobStep(deploying, "report")?.status, "SUCCESS", "SCHEDULED jobs are no hooks");
    const active = { ...d, status: deploying.status } as Deployment;
    const plan = planDeployment(active, ready(created), [migrate], { now: NOW });
    assert.deepEqual(
      plan.invoke.map((i) => [i.metadata.name, i.spec.trigger]),
      [["shop-d1.notify", "POST_DEPLOY"]],
    );
    const notify = stored(plan.invoke[0] as NewResource<JobInvocation>, { phase: "FAILED", exitCode: 1 });
    const after = planDeployment(active, ready(created), [migrate, notify], { now: NOW });
    assert.deepEqual(after.invoke, []);
    assert.deepEqual(after.drain, []);
    assert.equal(after.status?.phase, "ACTIVE");
    assert.equal(jobStep(after, "notify")?.status, "ERROR");
    assert.match(
      jobStep(after, "notify")?.steps?.[1]?.reason?.message ?? "",
      /^post-deploy job notify failed with exit code 1 \(its output: slipway apps logs shop notify --deployment shop-d1\)$/,
    );
  });

  it("never invokes hooks of deployments whose hook steps were already done (from before deploy hooks)", () => {
    const base = deployment("ACTIVE");
    const done = (steps: ProgressStep[]): ProgressStep[] =>
      steps.map((s) => ({
        ...s,
        status: "SUCCESS",
        ...(s.steps === undefined ? {} : { steps: done(s.steps) }),
      }));
    const old = deployment("ACTIVE", done(base.status?.progress.steps ?? []));
    const plan = planDeployment(old, [], [], { now: NOW });
    assert.deepEqual(plan.invoke, []);
    const failedOld = deployment("ERROR", done(base.status?.progress.steps ?? []));
    assert.deepEqual(planDeployment(failedOld, [], [], { now: NOW }).invoke, []);
  });

  it("runs no FAILED_DEPLOY job for a deployment without the job's artifact (its build failed)", () => {
    const d = deployment("ERROR");
    const unbuilt = { ...d, status: { ...d.status, artifacts: {} } } as Deployment;
    assert.deepEqual(planDeployment(unbuilt, [], [], { now: NOW }).invoke, []);
  });

  it("cancels the hook runs of a canceled deployment that still go", () => {
    const [planned] = planDeployment(deployment(), [], [], { now: NOW }).invoke;
    const migrate = stored(planned as NewResource<JobInvocation>, { phase: "RUNNING" });
    const plan = planDeployment(deployment("CANCELED"), [], [migrate], { now: NOW });
    assert.deepEqual(
      plan.cancel.map((i) => i.metadata.name),
      ["shop-d1.migrate"],
    );
    const asked = { ...migrate, spec: { ...migrate.spec, canceled: true } };
    assert.deepEqual(planDeployment(deployment("CANCELED"), [], [asked], { now: NOW }).cancel, []);
    assert.deepEqual(planDeployment(deployment("ERROR"), [], [migrate], { now: NOW }).cancel, []);
  });

  it("ignores hook jobs when no job runner runs them", () => {
    const plan = planDeployment(deployment(), [], [], { now: NOW, hooks: false });
    assert.deepEqual(plan.invoke, []);
    assert.equal(plan.status?.phase, "DEPLOYING");
  });
});
