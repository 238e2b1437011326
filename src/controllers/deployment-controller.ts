/**
 * The Deployment controller. Without builds (no Builder configured) a Deployment in
 * PENDING_BUILD is marked as waiting for a builder and stays there. With builds it creates one
 * Build per component that builds and follows them: PENDING_BUILD -> BUILDING -> PENDING_DEPLOY
 * (artifacts recorded) or ERROR (a build failed). PENDING_DEPLOY is where it stops until a
 * runtime exists. A CANCELED Deployment cancels its unfinished Builds.
 *
 * Crash safety: Builds are named `<deployment>-<component>` and found by label and owner uid in
 * the store, so a reconcile repeated after a crash creates none twice. Status is written last,
 * and only when it changed.
 *
 * Decision: a newer Deployment of the same App does not cancel older ones still in
 * PENDING_BUILD or BUILDING. DigitalOcean cancels a superseded pending deployment; that
 * transition belongs with a build queue (which decides what starts next), not written yet.
 * Likewise, when one Build fails the others are left to finish: their artifacts may be reused.
 */
import { isDeepStrictEqual } from "node:util";
import { BUILD_KIND, type Build, TERMINAL_BUILD_PHASES } from "../resources/build.js";
import {
  DEPLOYMENT_KIND,
  type Deployment,
  type DeploymentResourceStatus,
  LABELS,
} from "../resources/deployment.js";
import { isErrorCode } from "../resources/errors.js";
import type { NewResource, ObjectKey } from "../resources/meta.js";
import { newBuilds } from "../resources/new-build.js";
import type { Store } from "../store/store.js";
import { buildingStatus, RUNTIME_NOT_AVAILABLE } from "./building-status.js";
import { setCondition } from "./conditions.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createDeploymentController`. */
export interface DeploymentControllerOptions {
  store: Store;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /**
   * True when a Build controller runs builds: Deployments get Builds and move on. Default false:
   * Deployments wait in PENDING_BUILD with the BuilderNotAvailable condition.
   */
  builds?: boolean;
  /** True when the rollout controller takes PENDING_DEPLOY deployments live. Default false. */
  rollout?: boolean;
  /** Default 1. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

/** The condition a Deployment gets while no builder exists. */
export const BUILDER_NOT_AVAILABLE = {
  type: "Progressing",
  status: "False",
  reason: "BuilderNotAvailable",
  message: "builds are not available yet; the deployment waits in PENDING_BUILD",
} as const;

/** The status a Deployment should have without builds, or undefined when this controller leaves it alone. */
export function desiredDeploymentStatus(
  deployment: Deployment,
  now: Date,
): DeploymentResourceStatus | undefined {
  const status = deployment.status;
  if (status === undefined) return undefined;
  switch (status.phase) {
    case "PENDING_BUILD": {
      const observedGeneration = deployment.metadata.generation;
      const conditions = setCondition(
        status.conditions,
        { ...BUILDER_NOT_AVAILABLE, observedGeneration },
        now,
      );
      return { ...status, observedGeneration, conditions };
    }
    case "UNKNOWN":
    case "BUILDING":
    case "PENDING_DEPLOY":
    case "DEPLOYING":
    case "ACTIVE":
    case "SUPERSEDED":
    case "ERROR":
    case "CANCELED":
      return undefined;
    default: {
      const unknown: never = status.phase;
      throw new Error(`unhandled deployment phase ${String(unknown)}`);
    }
  }
}

interface Deps {
  store: Store;
  now: () => Date;
  builds: boolean;
  rollout: boolean;
}

async function writeStatus(
  store: Store,
  deployment: Deployment,
  status: DeploymentResourceStatus | undefined,
) {
  // Only a change is written: the write is itself an event of this Deployment.
  if (status !== undefined && !isDeepStrictEqual(status, deployment.status)) {
    await store.updateStatus<Deployment>({ ...deployment, status });
  }
}

/** The Builds owned by `deployment` (found by label, checked by owner uid). */
async function ownedBuilds(store: Store, deployment: Deployment): Promise<Build[]> {
  const { namespace, name, uid } = deployment.metadata;
  const { items } = await store.list<Build>(BUILD_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.deployment}=${name}`,
  });
  return items.filter((b) => b.metadata.ownerReferences?.some((ref) => ref.uid === uid));
}

async function createBuild(store: Store, deployment: Deployment, build: NewResource<Build>): Promise<Build> {
  try {
    return await store.create<Build>(build);
  } catch (err) {
    if (!isErrorCode(err, "already_exists")) throw err;
    // Created by an earlier reconcile our list did not see yet: it is the same Build.
    const key = {
      ...(build.metadata.namespace === undefined ? {} : { namespace: build.metadata.namespace }),
      name: build.metadata.name,
    };
    const existing = await store.get<Build>(BUILD_KIND, key);
    if (!existing.metadata.ownerReferences?.some((ref) => ref.uid === deployment.metadata.uid)) {
      throw new Error(`build ${build.metadata.name} exists and belongs to another deployment`);
    }
    return existing;
  }
}

async function reconcileBuilding(deps: Deps, deployment: Deployment): Promise<void> {
  const desired = newBuilds(deployment);
  const names = new Set(desired.map((b) => b.metadata.name));
  const builds = (await ownedBuilds(deps.store, deployment)).filter((b) => names.has(b.metadata.name));
  const have = new Set(builds.map((b) => b.metadata.name));
  for (const build of desired) {
    if (!have.has(build.metadata.name)) builds.push(await createBuild(deps.store, deployment, build));
  }
  await writeStatus(
    deps.store,
    deployment,
    buildingStatus(deployment, builds, desired.length, deps.now(), deps.rollout),
  );
}

async function cancelBuilds(store: Store, deployment: Deployment): Promise<void> {
  for (const build of await ownedBuilds(store, deployment)) {
    const phase = build.status?.phase ?? "PENDING";
    if (TERMINAL_BUILD_PHASES.includes(phase) || build.spec.canceled === true) continue;
    // A conflict (the Build controller wrote status meanwhile) throws and is retried.
    await store.update<Build>({ ...build, spec: { ...build.spec, canceled: true } });
  }
}

function pendingDeployStatus(deployment: Deployment, now: Date): DeploymentResourceStatus | undefined {
  const status = deployment.status;
  if (status === undefined) return undefined;
  const observedGeneration = deployment.metadata.generation;
  const conditions = setCondition(status.conditions, { ...RUNTIME_NOT_AVAILABLE, observedGeneration }, now);
  return { ...status, observedGeneration, conditions };
}

async function reconcileWithBuilds(deps: Deps, deployment: Deployment): Promise<void> {
  const phase = deployment.status?.phase ?? "UNKNOWN";
  switch (phase) {
    case "PENDING_BUILD":
    case "BUILDING":
      return reconcileBuilding(deps, deployment);
    case "PENDING_DEPLOY":
      if (deps.rollout) return;
      return writeStatus(deps.store, deployment, pendingDeployStatus(deployment, deps.now()));
    case "CANCELED":
      return cancelBuilds(deps.store, deployment);
    case "UNKNOWN":
    case "DEPLOYING":
    case "ACTIVE":
    case "SUPERSEDED":
    case "ERROR":
      return;
    default: {
      const unknown: never = phase;
      throw new Error(`unhandled deployment phase ${String(unknown)}`);
    }
  }
}

async function reconcileDeployment(deps: Deps, key: ObjectKey): Promise<Result> {
  const deployment = await getIfExists<Deployment>(deps.store, DEPLOYMENT_KIND, key);
  if (deployment === undefined || deployment.metadata.deletionTimestamp !== undefined) return {};
  if (deps.builds) await reconcileWithBuilds(deps, deployment);
  else await writeStatus(deps.store, deployment, desiredDeploymentStatus(deployment, deps.now()));
  return {};
}

/** The Deployment controller; with `builds`, it also watches the Builds it owns. */
export function createDeploymentController(options: DeploymentControllerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    now: options.now ?? (() => new Date()),
    builds: options.builds ?? false,
    rollout: options.rollout ?? false,
  };
  return createController({
    name: "deployment",
    forKind: DEPLOYMENT_KIND,
    ...(deps.builds ? { owns: [BUILD_KIND] } : {}),
    reconcile: (key) => reconcileDeployment(deps, key),
    concurrency: options.concurrency ?? 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
