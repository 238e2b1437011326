/**
 * The Deployment controller, minimal for now: builds do not exist yet, so a Deployment in
 * PENDING_BUILD is marked as waiting for a builder and stays there. Later issues add building
 * and rolling out.
 *
 * Decision: a newer Deployment of the same App does not cancel older ones still in
 * PENDING_BUILD. DigitalOcean cancels a superseded pending deployment, but with no builder
 * nothing can run or be wasted yet, and canceling is a transition of the older Deployment that
 * belongs with the build queue (which decides what starts next). Until then older pending
 * Deployments stay as they are, and the App status points at the newest one.
 */
import { isDeepStrictEqual } from "node:util";
import { DEPLOYMENT_KIND, type Deployment, type DeploymentResourceStatus } from "../resources/deployment.js";
import type { ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
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

/** The status a Deployment should have, or undefined when this controller leaves it alone. */
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

async function reconcileDeployment(store: Store, now: () => Date, key: ObjectKey): Promise<Result> {
  const deployment = await getIfExists<Deployment>(store, DEPLOYMENT_KIND, key);
  if (deployment === undefined || deployment.metadata.deletionTimestamp !== undefined) return {};
  const status = desiredDeploymentStatus(deployment, now());
  // Only a change is written: the write is itself an event of this Deployment.
  if (status !== undefined && !isDeepStrictEqual(status, deployment.status)) {
    await store.updateStatus<Deployment>({ ...deployment, status });
  }
  return {};
}

/** The Deployment controller. */
export function createDeploymentController(options: DeploymentControllerOptions): Controller {
  const now = options.now ?? (() => new Date());
  return createController({
    name: "deployment",
    forKind: DEPLOYMENT_KIND,
    reconcile: (key) => reconcileDeployment(options.store, now, key),
    concurrency: options.concurrency ?? 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
