/**
 * The rollout controller's pure core: given a Deployment and the Instances it owns, what to
 * create, drain or delete, and the status that follows. PENDING_DEPLOY -> DEPLOYING (instances
 * created) -> ACTIVE once every instance is ready, or ERROR when one fails (crash loop, failed
 * health checks) or the deploy deadline passes; the previous deployment keeps serving until then.
 * An ACTIVE deployment keeps each component at its desired count (scaled in place through
 * `spec.scale`, or replacing instances that vanished; planScale); SUPERSEDED, ERROR and CANCELED
 * ones drain theirs.
 */
import type { Deployment, DeploymentResourceStatus, ProgressStep } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import type { NewResource } from "../resources/meta.js";
import { countSteps } from "../resources/new-deployment.js";
import { newInstances } from "../resources/new-instances.js";
import { setCondition } from "./conditions.js";
import { describeScale, planScale, type ScaleChange } from "./scale-plan.js";

/** What to do for one Deployment. */
export interface RolloutPlan {
  /** The Deployment's new status; undefined when it does not change. */
  status?: DeploymentResourceStatus;
  create: NewResource<Instance>[];
  /** Instances to mark draining (they may have taken traffic). */
  drain: Instance[];
}

/** Options of {@link planRollout}. */
export interface RolloutOptions {
  now: Date;
  /** How long DEPLOYING may take before the deployment fails; default 10 minutes. */
  deployTimeoutMs?: number;
}

/** The condition type of rollout progress (shared with the build phase). */
export const PROGRESSING = "Progressing";

/** The condition type recording the last in-place scale of an ACTIVE deployment (ADR 0024). */
export const SCALED = "Scaled";

function live(instances: readonly Instance[]): Instance[] {
  return instances.filter((i) => i.spec.draining !== true);
}

function withStatus(
  deployment: Deployment,
  changes: Partial<DeploymentResourceStatus>,
  condition: { status: "True" | "False" | "Unknown"; reason: string; message: string },
  now: Date,
): DeploymentResourceStatus {
  const previous = deployment.status as DeploymentResourceStatus;
  const phase = changes.phase ?? previous.phase;
  const observedGeneration = deployment.metadata.generation;
  return {
    ...previous,
    ...changes,
    phaseLastUpdatedAt: phase === previous.phase ? previous.phaseLastUpdatedAt : now.toISOString(),
    observedGeneration,
    conditions: setCondition(
      previous.conditions,
      { type: PROGRESSING, ...condition, observedGeneration },
      now,
    ),
  };
}

/** The deploy step of each component from its instances; static sites and jobs succeed at once. */
function deploySteps(
  deployment: Deployment,
  instances: readonly Instance[],
  at: string,
  failed?: string,
): ProgressStep[] {
  const status = deployment.status as DeploymentResourceStatus;
  return status.progress.steps.map((top) => {
    if (top.name === "build") return top;
    if (top.name !== "deploy") return top;
    const children = (top.steps ?? []).map((step) => {
      if (step.name === "initialize")
        return {
          ...step,
          status: "SUCCESS" as const,
          started_at: step.started_at ?? at,
          ended_at: step.ended_at ?? at,
        };
      if (step.name === "finalize") {
        const done = instances.length === 0 || instances.every((i) => i.status?.ready === true);
        return failed !== undefined
          ? { ...step, status: "ERROR" as const }
          : done
            ? {
                ...step,
                status: "SUCCESS" as const,
                started_at: step.started_at ?? at,
                ended_at: step.ended_at ?? at,
              }
            : step;
      }
      if (step.name !== "components") return step;
      const components = (step.steps ?? []).map((c) => {
        const mine = instances.filter((i) => i.spec.component === c.name);
        const ready = mine.length === 0 || mine.every((i) => i.status?.ready === true);
        const broken = mine.find((i) => i.status?.phase === "Failed");
        const wait: ProgressStep["status"] = broken !== undefined ? "ERROR" : ready ? "SUCCESS" : "RUNNING";
        return {
          ...c,
          status: wait,
          steps: (c.steps ?? []).map((s) =>
            s.name === "deploy"
              ? {
                  ...s,
                  status: "SUCCESS" as const,
                  started_at: s.started_at ?? at,
                  ended_at: s.ended_at ?? at,
                }
              : {
                  ...s,
                  status: wait,
                  started_at: s.started_at ?? at,
                  ...(wait === "RUNNING" ? {} : { ended_at: s.ended_at ?? at }),
                  ...(broken?.status?.message === undefined
                    ? {}
                    : { reason: { code: "InstanceFailed", message: broken.status.message } }),
                },
          ),
        };
      });
      return {
        ...step,
        status: components.some((c) => c.status === "ERROR")
          ? ("ERROR" as const)
          : components.every((c) => c.status === "SUCCESS")
            ? ("SUCCESS" as const)
            : ("RUNNING" as const),
        steps: components,
      };
    });
    const all = children.every((c) => c.status === "SUCCESS");
    const error = children.some((c) => c.status === "ERROR");
    return {
      ...top,
      status: error ? ("ERROR" as const) : all ? ("SUCCESS" as const) : ("RUNNING" as const),
      steps: children,
    };
  });
}

/**
 * The status recording a scale of an ACTIVE deployment (condition `Scaled`, e.g. "scaled web from
 * 1 to 5 instances"), once per change of `spec.scale` (the condition's observedGeneration): a
 * replaced vanished instance is no scale, and a scale in progress keeps the message of its start.
 */
function scaledStatus(
  deployment: Deployment,
  changes: readonly ScaleChange[],
  now: Date,
): DeploymentResourceStatus | undefined {
  const status = deployment.status as DeploymentResourceStatus;
  const generation = deployment.metadata.generation;
  const previous = status.conditions?.find((c) => c.type === SCALED);
  if (
    changes.length === 0 ||
    deployment.spec.scale === undefined ||
    previous?.observedGeneration === generation
  )
    return undefined;
  return {
    ...status,
    conditions: setCondition(
      status.conditions,
      {
        type: SCALED,
        status: "True",
        reason: "InstanceCountChanged",
        message: describeScale(changes),
        observedGeneration: generation,
      },
      now,
    ),
  };
}

/** Plans one reconcile of `deployment`, whose owned (not yet deleted) instances are `instances`. */
export function planRollout(
  deployment: Deployment,
  instances: readonly Instance[],
  options: RolloutOptions,
): RolloutPlan {
  const status = deployment.status;
  const none: RolloutPlan = { create: [], drain: [] };
  if (status === undefined) return none;
  const now = options.now;
  const at = now.toISOString();
  const current = live(instances);
  switch (status.phase) {
    case "PENDING_DEPLOY":
    case "DEPLOYING": {
      const desired = newInstances(deployment);
      const have = new Set(instances.map((i) => i.metadata.name));
      const create = desired.filter((i) => !have.has(i.metadata.name));
      const failed = current.find((i) => i.status?.phase === "Failed");
      const started = status.phase === "DEPLOYING" ? Date.parse(status.phaseLastUpdatedAt) : now.getTime();
      const overdue = now.getTime() - started > (options.deployTimeoutMs ?? 600_000);
      if (failed !== undefined || overdue) {
        const why =
          failed !== undefined
            ? `instance ${failed.metadata.name} failed: ${failed.status?.message ?? "unknown reason"}`
            : `instances were not ready within ${Math.round((options.deployTimeoutMs ?? 600_000) / 1000)} s`;
        const message = `${why}; the previous deployment keeps serving`;
        const progress = countSteps(deploySteps(deployment, current, at, message));
        return {
          create: [],
          drain: current,
          status: withStatus(
            deployment,
            { phase: "ERROR", progress },
            { status: "False", reason: "DeployFailed", message },
            now,
          ),
        };
      }
      const all = [...current, ...create.map((c) => c as Instance)];
      const ready = desired.every((d) =>
        current.some((i) => i.metadata.name === d.metadata.name && i.status?.ready === true),
      );
      const progress = countSteps(deploySteps(deployment, all, at));
      if (ready) {
        return {
          create,
          drain: [],
          status: withStatus(
            deployment,
            { phase: "ACTIVE", progress },
            {
              status: "True",
              reason: "Active",
              message: `all ${desired.length} instance(s) are ready and serving`,
            },
            now,
          ),
        };
      }
      const readyCount = current.filter((i) => i.status?.ready === true).length;
      return {
        create,
        drain: [],
        status: withStatus(
          deployment,
          { phase: "DEPLOYING", progress },
          {
            status: "True",
            reason: "Deploying",
            message: `${readyCount} of ${desired.length} instance(s) ready`,
          },
          now,
        ),
      };
    }
    case "ACTIVE": {
      // Scaled in place (spec.scale), or instances vanished (deleted by hand, lost with a node).
      const { create, drain, changes } = planScale(deployment, instances);
      const scaled = scaledStatus(deployment, changes, now);
      return { create, drain, ...(scaled === undefined ? {} : { status: scaled }) };
    }
    case "SUPERSEDED":
    case "ERROR":
    case "CANCELED":
      return { create: [], drain: current };
    case "UNKNOWN":
    case "PENDING_BUILD":
    case "BUILDING":
      return none;
    default: {
      const unknown: never = status.phase;
      throw new Error(`unhandled deployment phase ${String(unknown)}`);
    }
  }
}
