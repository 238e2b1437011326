/**
 * The Deployment controller's pure core for the BUILDING phase: the Deployment status that
 * follows from its Builds (phase, the `build` progress steps, artifacts, the Progressing
 * condition).
 */
import type { Build } from "../resources/build.js";
import type {
  Deployment,
  DeploymentPhase,
  DeploymentResourceStatus,
  ProgressStep,
  StepStatus,
} from "../resources/deployment.js";
import type { Condition } from "../resources/meta.js";
import { countSteps } from "../resources/new-deployment.js";
import { setCondition } from "./conditions.js";

/** The condition type of a Deployment's progress. */
export const PROGRESSING = "Progressing";

/** The condition a Deployment gets in PENDING_DEPLOY until a runtime exists. */
export const RUNTIME_NOT_AVAILABLE = {
  type: PROGRESSING,
  status: "False",
  reason: "RuntimeNotAvailable",
  message:
    "every component is built; deploying is not available yet, so the deployment waits in PENDING_DEPLOY",
} as const;

function buildStep(build: Build | undefined): Partial<ProgressStep> {
  const status = build?.status;
  const times = {
    ...(status?.startedAt === undefined ? {} : { started_at: status.startedAt }),
    ...(status?.finishedAt === undefined ? {} : { ended_at: status.finishedAt }),
  };
  const phase = status?.phase ?? "PENDING";
  switch (phase) {
    case "PENDING":
      return { status: "PENDING" };
    case "RUNNING":
      return { status: "RUNNING", ...times };
    case "SUCCEEDED":
      // A reused artifact means nothing was built (a config-only change): say so on the step.
      return status?.reused === true
        ? {
            status: "SUCCESS",
            ...times,
            message_base: `reused artifact ${status.artifactId ?? ""}; nothing was built`,
          }
        : { status: "SUCCESS", ...times };
    case "FAILED":
    case "CANCELED": {
      const message = status?.message ?? `build ${phase.toLowerCase()}`;
      const code = phase === "FAILED" ? "BuildFailed" : "BuildCanceled";
      return { status: "ERROR", ...times, reason: { code, message } };
    }
    default: {
      const unknown: never = phase;
      throw new Error(`unhandled build phase ${String(unknown)}`);
    }
  }
}

/** A parent step's status from its children's. */
function rollUp(children: readonly ProgressStep[]): StepStatus {
  if (children.some((c) => c.status === "ERROR")) return "ERROR";
  if (children.every((c) => c.status === "SUCCESS")) return "SUCCESS";
  if (children.every((c) => c.status === "PENDING" || c.status === "UNKNOWN")) return "PENDING";
  return "RUNNING";
}

function withBuildSteps(steps: ProgressStep[], byComponent: Map<string, Build>, at: string): ProgressStep[] {
  return steps.map((top) => {
    if (top.name !== "build") return top;
    const children = (top.steps ?? []).map((step) => {
      if (step.name === "initialize") {
        return {
          ...step,
          status: "SUCCESS" as const,
          started_at: step.started_at ?? at,
          ended_at: step.ended_at ?? at,
        };
      }
      if (step.name !== "components") return step;
      const components = (step.steps ?? []).map((c) => ({ ...c, ...buildStep(byComponent.get(c.name)) }));
      return { ...step, status: rollUp(components), steps: components };
    });
    return { ...top, status: rollUp(children), steps: children };
  });
}

function nextPhase(builds: readonly Build[], expected: number): DeploymentPhase {
  const phases = builds.map((b) => b.status?.phase ?? "PENDING");
  if (phases.some((p) => p === "FAILED" || p === "CANCELED")) return "ERROR";
  if (builds.length === expected && phases.every((p) => p === "SUCCEEDED")) return "PENDING_DEPLOY";
  return "BUILDING";
}

type ConditionFields = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

function progressing(phase: DeploymentPhase, builds: readonly Build[], rollout: boolean): ConditionFields {
  if (phase === "PENDING_DEPLOY")
    return rollout
      ? {
          type: PROGRESSING,
          status: "True",
          reason: "Built",
          message: "every component is built; rolling out",
        }
      : { ...RUNTIME_NOT_AVAILABLE };
  if (phase === "ERROR") {
    const failed = builds.filter((b) => b.status?.phase === "FAILED" || b.status?.phase === "CANCELED");
    const names = failed.map((b) => b.spec.component).join(", ");
    return {
      type: PROGRESSING,
      status: "False",
      reason: "BuildFailed",
      message: `the build of ${names} failed`,
    };
  }
  return {
    type: PROGRESSING,
    status: "True",
    reason: "Building",
    message: `building ${builds.length} component(s)`,
  };
}

/**
 * The status of `deployment` (PENDING_BUILD or BUILDING) given its Builds, `expected` of which
 * it needs. Any FAILED (or CANCELED) Build puts it in ERROR, with the step's reason; all
 * SUCCEEDED puts it in PENDING_DEPLOY with `artifacts`; otherwise it is BUILDING.
 */
export function buildingStatus(
  deployment: Deployment,
  builds: readonly Build[],
  expected: number,
  now: Date,
  rollout = false,
): DeploymentResourceStatus {
  const previous = deployment.status;
  if (previous === undefined) throw new Error(`deployment ${deployment.metadata.name} has no status`);
  const at = now.toISOString();
  const byComponent = new Map(builds.map((b) => [b.spec.component, b]));
  const phase = nextPhase(builds, expected);
  const progress = countSteps(withBuildSteps(previous.progress.steps, byComponent, at));
  const observedGeneration = deployment.metadata.generation;
  const conditions = setCondition(
    previous.conditions,
    { ...progressing(phase, builds, rollout), observedGeneration },
    now,
  );
  const status: DeploymentResourceStatus = {
    ...previous,
    phase,
    phaseLastUpdatedAt: phase === previous.phase ? previous.phaseLastUpdatedAt : at,
    progress,
    observedGeneration,
    conditions,
  };
  if (phase === "PENDING_DEPLOY") {
    status.artifacts = Object.fromEntries(builds.map((b) => [b.spec.component, b.status?.artifactId ?? ""]));
    const commits = builds.flatMap((b) =>
      b.status?.sourceCommitHash === undefined ? [] : [[b.spec.component, b.status.sourceCommitHash]],
    );
    if (commits.length > 0) status.sourceCommits = Object.fromEntries(commits);
    const builders = builds.flatMap((b) =>
      b.status?.builder === undefined ? [] : [[b.spec.component, b.status.builder]],
    );
    if (builders.length > 0) status.builders = Object.fromEntries(builders);
  }
  return status;
}
