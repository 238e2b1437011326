/**
 * The App controller's pure core: which Deployment snapshots the App's current generation, and
 * the App status that follows from the App's Deployments.
 */
import type { App, AppResourceStatus } from "../resources/app.js";
import { type Deployment, LABELS, TERMINAL_PHASES } from "../resources/deployment.js";
import { setCondition } from "./conditions.js";
import { describeCounts } from "./scale-in-place.js";

/** The condition type the App controller maintains. */
export const DEPLOYMENT_CREATED = "DeploymentCreated";

/** Whether `deployment` was made from this very App (not an earlier App of the same name). */
export function belongsTo(deployment: Deployment, app: App): boolean {
  return (
    deployment.spec.appUid === app.metadata.uid &&
    deployment.metadata.labels?.[LABELS.app] === app.metadata.name
  );
}

/** The Deployment snapshotting the App's current generation, found by its label. */
export function deploymentOfGeneration(app: App, deployments: readonly Deployment[]): Deployment | undefined {
  const generation = String(app.metadata.generation);
  return deployments.find(
    (d) => belongsTo(d, app) && d.metadata.labels?.[LABELS.appGeneration] === generation,
  );
}

/** Newest first: by creation time, then App generation, then name (a stable tie-break). */
export function newestFirst(deployments: readonly Deployment[]): Deployment[] {
  return [...deployments].sort(
    (a, b) =>
      b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) ||
      b.spec.appGeneration - a.spec.appGeneration ||
      b.metadata.name.localeCompare(a.metadata.name),
  );
}

/**
 * The App status given its Deployments and `current` (the one of its current generation, or the
 * ACTIVE one when that generation only changed instance counts and `scaled` says it was scaled in
 * place, ADR 0024).
 * Fields other controllers own (`liveUrl`, `defaultIngress`, `lastDeploymentActiveAt`, other
 * conditions) are kept. The newest non-terminal Deployment is `pendingDeployment` while it waits
 * for a build (PENDING_BUILD, UNKNOWN) and `inProgressDeployment` once it is building or
 * deploying; the other of the two is then absent.
 */
export function appStatus(
  app: App,
  deployments: readonly Deployment[],
  current: Deployment,
  now: Date,
  scaled = false,
): AppResourceStatus {
  const {
    pendingDeployment: _pending,
    inProgressDeployment: _inProgress,
    activeDeployment: _active,
    lastDeploymentCreatedAt: _created,
    ...kept
  } = app.status ?? {};
  const sorted = newestFirst(deployments.filter((d) => belongsTo(d, app)));
  const status: AppResourceStatus = { ...kept, observedGeneration: app.metadata.generation };
  const open = sorted.find((d) => !TERMINAL_PHASES.includes(d.status?.phase ?? "UNKNOWN"));
  if (open !== undefined) {
    const waiting = open.status === undefined || ["PENDING_BUILD", "UNKNOWN"].includes(open.status.phase);
    if (waiting) status.pendingDeployment = open.metadata.name;
    else status.inProgressDeployment = open.metadata.name;
  }
  const active = sorted.find((d) => d.status?.phase === "ACTIVE");
  if (active !== undefined) status.activeDeployment = active.metadata.name;
  const newest = sorted[0];
  if (newest !== undefined) status.lastDeploymentCreatedAt = newest.metadata.creationTimestamp;
  status.conditions = setCondition(
    app.status?.conditions,
    {
      type: DEPLOYMENT_CREATED,
      status: "True",
      ...(scaled
        ? {
            reason: "ScaledInPlace",
            message: `generation ${app.metadata.generation} only changes instance counts: deployment ${current.metadata.name} runs ${describeCounts(current, current.spec.scale ?? {})} without a new deployment`,
          }
        : {
            reason: "GenerationSnapshotted",
            message: `deployment ${current.metadata.name} snapshots generation ${app.metadata.generation}`,
          }),
      observedGeneration: app.metadata.generation,
    },
    now,
  );
  return status;
}
