/**
 * Deploy hooks, the pure part (ADR 0025): DigitalOcean's PRE_DEPLOY, POST_DEPLOY (also what
 * UNSPECIFIED completes to) and FAILED_DEPLOY jobs of a Deployment, each run once as a
 * JobInvocation owned by the Deployment and named `<deployment>.<job>` (so creating it twice is
 * harmless). `planDeployment` wraps the rollout's plan (rollout-plan.ts, untouched):
 *
 * - PENDING_DEPLOY: every PRE_DEPLOY job must have SUCCEEDED before the rollout plan may create
 *   an instance. While one is missing or running the deployment waits (phase PENDING_DEPLOY, so
 *   the deploy deadline only starts once instances are being created); one that FAILED, was
 *   CANCELED or SKIPPED puts the deployment in ERROR and the previous deployment keeps serving.
 * - ACTIVE: POST_DEPLOY jobs are invoked. Their failure shows in the job's progress step, never
 *   undoes the deployment.
 * - ERROR: FAILED_DEPLOY jobs are invoked, when the deployment has their artifacts (a deployment
 *   whose build failed has nothing to run them from).
 *
 * Whether a hook was already invoked is read from its invocation; a hook job's progress step
 * that is no longer PENDING (a deployment from before deploy hooks, or an invocation deleted)
 * means "done", so a restart or an upgrade never runs a hook of an old deployment.
 */
import type { Deployment, DeploymentResourceStatus, ProgressStep } from "../resources/deployment.js";
import { LABELS } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import {
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  type JobTrigger,
} from "../resources/job-invocation.js";
import { API_VERSION, type NewResource } from "../resources/meta.js";
import { countSteps } from "../resources/new-deployment.js";
import { jobTimeoutSeconds } from "../resources/new-job-invocation.js";
import type { JobSpec } from "../spec/index.js";
import { setCondition } from "./conditions.js";
import { PROGRESSING, planRollout, type RolloutOptions, type RolloutPlan } from "./rollout-plan.js";

/** The jobs that run around a deployment. */
export type HookKind = "PRE_DEPLOY" | "POST_DEPLOY" | "FAILED_DEPLOY";

/** A rollout plan plus the hook invocations to create (before the status is written). */
export interface DeploymentPlan extends RolloutPlan {
  invoke: NewResource<JobInvocation>[];
}

/** Options of {@link planDeployment}. */
export interface DeploymentPlanOptions extends RolloutOptions {
  /** False: hook jobs are ignored (no JobInvocation controller runs them); default true. */
  hooks?: boolean;
}

/** The hook kind of a job; undefined for SCHEDULED jobs. UNSPECIFIED is POST_DEPLOY, as on DO. */
export function hookKind(job: Pick<JobSpec, "kind">): HookKind | undefined {
  const kind = job.kind ?? "UNSPECIFIED";
  if (kind === "SCHEDULED") return undefined;
  return kind === "UNSPECIFIED" ? "POST_DEPLOY" : kind;
}

/** The name of the invocation of hook `job` of `deployment`. */
export function hookInvocationName(deployment: string, job: string): string {
  return `${deployment}.${job}`;
}

/** The invocation of hook `job` of `deployment`, owned by the Deployment. */
export function newHookInvocation(
  deployment: Deployment,
  job: JobSpec,
  kind: HookKind,
  now: Date,
): NewResource<JobInvocation> {
  const { name, namespace, uid } = deployment.metadata;
  return {
    apiVersion: API_VERSION,
    kind: JOB_INVOCATION_KIND,
    metadata: {
      name: hookInvocationName(name, job.name),
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [LABELS.app]: deployment.spec.app, [LABELS.deployment]: name, [JOB_LABEL]: job.name },
      ownerReferences: [{ apiVersion: API_VERSION, kind: deployment.kind, name, uid, controller: true }],
    },
    spec: {
      app: deployment.spec.app,
      deployment: name,
      job: job.name,
      scheduledAt: now.toISOString(),
      trigger: kind satisfies JobTrigger,
      timeoutSeconds: jobTimeoutSeconds(job.timeout),
    },
  };
}

function hooks(deployment: Deployment, kind: HookKind): JobSpec[] {
  return (deployment.spec.appSpec.jobs ?? []).filter((j) => hookKind(j) === kind);
}

/** The deploy-tree step of component `name` in `steps`. */
function componentStep(steps: readonly ProgressStep[], name: string): ProgressStep | undefined {
  const deploy = steps.find((s) => s.name === "deploy");
  return deploy?.steps?.find((s) => s.name === "components")?.steps?.find((c) => c.name === name);
}

function finished(inv: JobInvocation): boolean {
  const phase = inv.status?.phase ?? "PENDING";
  return phase !== "PENDING" && phase !== "RUNNING";
}

/** Why a finished invocation did not succeed, in words; undefined when it succeeded. */
export function hookFailure(inv: JobInvocation): string | undefined {
  const status = inv.status;
  if (status === undefined || status.phase === "SUCCEEDED" || !finished(inv)) return undefined;
  if (status.exitCode !== undefined) return `failed with exit code ${status.exitCode}`;
  const message = status.message ?? "no reason recorded";
  return status.phase === "FAILED" ? `failed: ${message}` : `${status.phase.toLowerCase()}: ${message}`;
}

const KIND_WORDS: Record<HookKind, string> = {
  PRE_DEPLOY: "pre-deploy",
  POST_DEPLOY: "post-deploy",
  FAILED_DEPLOY: "failed-deploy",
};

/** What went wrong with a hook run, and where its output is. */
function failureMessage(kind: HookKind, inv: JobInvocation, failure: string): string {
  const where = `slipway apps logs ${inv.spec.app} ${inv.spec.job} --deployment ${inv.spec.deployment}`;
  return `${KIND_WORDS[kind]} job ${inv.spec.job} ${failure} (its output: ${where})`;
}

/** A hook job's step from its invocation. */
function invokedStep(step: ProgressStep, inv: JobInvocation, kind: HookKind): ProgressStep {
  const created = inv.metadata.creationTimestamp;
  const phase = inv.status?.phase ?? "PENDING";
  const failure = hookFailure(inv);
  const wait: ProgressStep["status"] =
    phase === "SUCCEEDED"
      ? "SUCCESS"
      : failure !== undefined
        ? "ERROR"
        : phase === "RUNNING"
          ? "RUNNING"
          : "PENDING";
  const children = (step.steps ?? []).map((s): ProgressStep => {
    if (s.name === "deploy") return { ...s, status: "SUCCESS", started_at: created, ended_at: created };
    const { reason: _r, ...rest } = s;
    return {
      ...rest,
      status: wait,
      ...(inv.status?.startedAt === undefined ? {} : { started_at: inv.status.startedAt }),
      ...(inv.status?.completedAt === undefined ? {} : { ended_at: inv.status.completedAt }),
      ...(failure === undefined
        ? {}
        : { reason: { code: "JobFailed", message: failureMessage(kind, inv, failure) } }),
    };
  });
  return { ...step, status: wait === "PENDING" ? "RUNNING" : wait, steps: children };
}

function withLeaves(step: ProgressStep, status: ProgressStep["status"]): ProgressStep {
  return { ...step, status, steps: (step.steps ?? []).map((s) => ({ ...s, status })) };
}

/** The status of a step from its children's; a leaf keeps its own. */
function rollUp(step: ProgressStep): ProgressStep {
  if (step.steps === undefined || step.steps.length === 0) return step;
  const steps = step.steps.map(rollUp);
  const all = (s: ProgressStep["status"]) => steps.every((c) => c.status === s);
  const status: ProgressStep["status"] = steps.some((c) => c.status === "ERROR")
    ? "ERROR"
    : all("SUCCESS")
      ? "SUCCESS"
      : all("PENDING")
        ? "PENDING"
        : "RUNNING";
  return { ...step, status, steps };
}

/**
 * `progress` with each hook job's step set from its invocation (PENDING while it has none), the
 * deploy tree's parents rolled up and the counters recounted. `stored` is the tree as stored
 * before this reconcile: a hook step that was no longer PENDING there and has no invocation
 * keeps its state. FAILED_DEPLOY steps of a deployment that is (or was) ACTIVE succeed: there
 * was nothing to run.
 */
function hookProgress(
  deployment: Deployment,
  steps: readonly ProgressStep[],
  stored: readonly ProgressStep[],
  invocations: ReadonlyMap<string, JobInvocation>,
  phase: DeploymentResourceStatus["phase"],
): ProgressStep[] {
  const kinds = new Map<string, HookKind>();
  for (const job of deployment.spec.appSpec.jobs ?? []) {
    const kind = hookKind(job);
    if (kind !== undefined) kinds.set(job.name, kind);
  }
  if (kinds.size === 0) return [...steps];
  return steps.map((top) => {
    if (top.name !== "deploy") return top;
    const children = (top.steps ?? []).map((child) => {
      if (child.name !== "components") return child;
      const components = (child.steps ?? []).map((c) => {
        const kind = kinds.get(c.name);
        if (kind === undefined) return c;
        const inv = invocations.get(c.name);
        if (inv !== undefined) return invokedStep(c, inv, kind);
        const before = componentStep(stored, c.name);
        if (before !== undefined && before.status !== "PENDING") return before;
        if (kind === "FAILED_DEPLOY" && (phase === "ACTIVE" || phase === "SUPERSEDED"))
          return withLeaves(c, "SUCCESS");
        return withLeaves(c, "PENDING");
      });
      return { ...child, steps: components };
    });
    return rollUp({ ...top, steps: children });
  });
}

/** The hooks of `kind` that are due: no invocation yet and a step still PENDING. */
function due(
  deployment: Deployment,
  kind: HookKind,
  invocations: ReadonlyMap<string, JobInvocation>,
  now: Date,
): NewResource<JobInvocation>[] {
  const stored = deployment.status?.progress.steps ?? [];
  const artifacts = deployment.status?.artifacts ?? {};
  return hooks(deployment, kind)
    .filter((job) => !invocations.has(job.name))
    .filter((job) => (componentStep(stored, job.name)?.status ?? "PENDING") === "PENDING")
    .filter((job) => (artifacts[job.name] ?? "") !== "")
    .map((job) => newHookInvocation(deployment, job, kind, now));
}

/** The Deployment's hook invocations by job name (those it owns, under the hook name). */
export function hookInvocations(
  deployment: Deployment,
  invocations: readonly JobInvocation[],
): Map<string, JobInvocation> {
  const out = new Map<string, JobInvocation>();
  for (const inv of invocations) {
    const owned = inv.metadata.ownerReferences?.some((r) => r.uid === deployment.metadata.uid) === true;
    if (owned && inv.metadata.name === hookInvocationName(deployment.metadata.name, inv.spec.job))
      out.set(inv.spec.job, inv);
  }
  return out;
}

function gateStatus(
  deployment: Deployment,
  progress: ProgressStep[],
  phase: "PENDING_DEPLOY" | "ERROR",
  condition: { status: "True" | "False"; reason: string; message: string },
  now: Date,
): DeploymentResourceStatus {
  const previous = deployment.status as DeploymentResourceStatus;
  const observedGeneration = deployment.metadata.generation;
  return {
    ...previous,
    phase,
    phaseLastUpdatedAt: phase === previous.phase ? previous.phaseLastUpdatedAt : now.toISOString(),
    progress: countSteps(progress),
    observedGeneration,
    conditions: setCondition(
      previous.conditions,
      { type: PROGRESSING, ...condition, observedGeneration },
      now,
    ),
  };
}

/** PENDING_DEPLOY with PRE_DEPLOY jobs: wait for them, fail on one, or undefined once all passed. */
function preDeployGate(
  deployment: Deployment,
  byJob: ReadonlyMap<string, JobInvocation>,
  now: Date,
): DeploymentPlan | undefined {
  const pre = hooks(deployment, "PRE_DEPLOY");
  if (pre.length === 0) return undefined;
  const stored = deployment.status?.progress.steps ?? [];
  const progress = hookProgress(deployment, stored, stored, byJob, "PENDING_DEPLOY").map((top) =>
    top.name !== "deploy"
      ? top
      : rollUp({
          ...top,
          steps: (top.steps ?? []).map((s) =>
            s.name === "initialize"
              ? {
                  ...s,
                  status: "SUCCESS" as const,
                  started_at: s.started_at ?? now.toISOString(),
                  ended_at: s.ended_at ?? now.toISOString(),
                }
              : s,
          ),
        }),
  );
  for (const job of pre) {
    const inv = byJob.get(job.name);
    const failure = inv === undefined ? undefined : hookFailure(inv);
    if (failure === undefined) continue;
    const message = `${failureMessage("PRE_DEPLOY", inv as JobInvocation, failure)}; the previous deployment keeps serving`;
    return {
      create: [],
      drain: [],
      invoke: [],
      status: gateStatus(
        deployment,
        progress,
        "ERROR",
        { status: "False", reason: "PreDeployJobFailed", message },
        now,
      ),
    };
  }
  const waiting = pre.filter((job) => byJob.get(job.name)?.status?.phase !== "SUCCEEDED");
  if (waiting.length === 0) return undefined;
  return {
    create: [],
    drain: [],
    invoke: due(deployment, "PRE_DEPLOY", byJob, now),
    status: gateStatus(
      deployment,
      progress,
      "PENDING_DEPLOY",
      {
        status: "True",
        reason: "PreDeployJobs",
        message: `running pre-deploy job(s) ${waiting.map((j) => j.name).join(", ")}; no instance starts before they succeed`,
      },
      now,
    ),
  };
}

/**
 * Plans one reconcile of `deployment` with its deploy hooks: `instances` and `invocations` are
 * the objects it owns. Without hook jobs it is exactly `planRollout`.
 */
export function planDeployment(
  deployment: Deployment,
  instances: readonly Instance[],
  invocations: readonly JobInvocation[],
  options: DeploymentPlanOptions,
): DeploymentPlan {
  const status = deployment.status;
  const rollout = (): DeploymentPlan => ({ ...planRollout(deployment, instances, options), invoke: [] });
  if (
    status === undefined ||
    options.hooks === false ||
    !(deployment.spec.appSpec.jobs ?? []).some((j) => hookKind(j) !== undefined)
  )
    return rollout();
  const byJob = hookInvocations(deployment, invocations);
  const now = options.now;
  if (status.phase === "PENDING_DEPLOY") {
    const gate = preDeployGate(deployment, byJob, now);
    if (gate !== undefined) return gate;
  }
  const plan = rollout();
  const next = plan.status ?? status;
  const steps = hookProgress(deployment, next.progress.steps, status.progress.steps, byJob, next.phase);
  const progress = countSteps(steps);
  const invoke =
    status.phase === "ACTIVE"
      ? due(deployment, "POST_DEPLOY", byJob, now)
      : status.phase === "ERROR"
        ? due(deployment, "FAILED_DEPLOY", byJob, now)
        : [];
  const changed = JSON.stringify(progress) !== JSON.stringify(next.progress);
  return {
    ...plan,
    invoke,
    ...(plan.status === undefined && !changed ? {} : { status: { ...next, progress } }),
  };
}
