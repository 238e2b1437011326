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
 * - CANCELED: hook runs still going (a PRE_DEPLOY job of a deployment canceled while it ran) are
 *   canceled too.
 *
 * Whether a hook was already invoked is read from its invocation; a hook job's progress step
 * that is no longer PENDING (a deployment from before deploy hooks, or an invocation deleted)
 * means "done", so a restart or an upgrade never runs a hook of an old deployment.
 */
import type { Deployment, DeploymentResourceStatus, ProgressStep } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import type { JobInvocation } from "../resources/job-invocation.js";
import type { NewResource } from "../resources/meta.js";
import { countSteps } from "../resources/new-deployment.js";
import { setCondition } from "./conditions.js";
import {
  failureMessage,
  type HookKind,
  hookFailure,
  hookInvocations,
  hookKind,
  hooks,
  newHookInvocation,
} from "./deploy-hook-invocations.js";
import { componentStep, hookProgress, rollUp } from "./deploy-hooks-steps.js";
import { PROGRESSING, planRollout, type RolloutOptions, type RolloutPlan } from "./rollout-plan.js";

/** A rollout plan plus the hook invocations to create (before the status is written). */
export interface DeploymentPlan extends RolloutPlan {
  invoke: NewResource<JobInvocation>[];
  /** Hook invocations to cancel (`spec.canceled`): those of a CANCELED deployment still running. */
  cancel: JobInvocation[];
}

/** Options of {@link planDeployment}. */
export interface DeploymentPlanOptions extends RolloutOptions {
  /** False: hook jobs are ignored (no JobInvocation controller runs them); default true. */
  hooks?: boolean;
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
      cancel: [],
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
    cancel: [],
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
  const rollout = (): DeploymentPlan => ({
    ...planRollout(deployment, instances, options),
    invoke: [],
    cancel: [],
  });
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
  const running = (i: JobInvocation) => ["PENDING", "RUNNING"].includes(i.status?.phase ?? "PENDING");
  const cancel =
    status.phase === "CANCELED"
      ? [...byJob.values()].filter((i) => running(i) && i.spec.canceled !== true)
      : [];
  return {
    ...plan,
    invoke,
    cancel,
    ...(plan.status === undefined && !changed ? {} : { status: { ...next, progress } }),
  };
}
