/**
 * The progress steps of deploy hooks (ADR 0025): each hook job's component step in DO's deploy
 * tree follows its invocation; parents are rolled up from their children.
 */
import type { Deployment, DeploymentResourceStatus, ProgressStep } from "../resources/deployment.js";
import type { JobInvocation } from "../resources/job-invocation.js";
import { failureMessage, type HookKind, hookFailure, hookKind } from "./deploy-hook-invocations.js";

/** The deploy-tree step of component `name` in `steps`. */
export function componentStep(steps: readonly ProgressStep[], name: string): ProgressStep | undefined {
  const deploy = steps.find((s) => s.name === "deploy");
  return deploy?.steps?.find((s) => s.name === "components")?.steps?.find((c) => c.name === name);
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
export function rollUp(step: ProgressStep): ProgressStep {
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
export function hookProgress(
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
