/**
 * The rollout controller: takes a built Deployment (PENDING_DEPLOY) live. It creates the
 * deployment's Instances, follows them to ready (ACTIVE) or failed (ERROR, the previous deployment
 * untouched), supersedes the app's older ACTIVE deployment once the new one is ACTIVE, and marks
 * the instances of SUPERSEDED, ERROR and CANCELED deployments draining; the agent (instance
 * controller) stops and deletes drained instances. Level-triggered: every step is recomputed
 * from the stored Deployments and Instances (planRollout), so a crash between two writes is
 * repaired by the next reconcile.
 */
import { isDeepStrictEqual } from "node:util";
import {
  DEPLOYMENT_KIND,
  type Deployment,
  type DeploymentResourceStatus,
  LABELS,
} from "../resources/deployment.js";
import { isErrorCode } from "../resources/errors.js";
import { INSTANCE_KIND, type Instance } from "../resources/instance.js";
import { JOB_INVOCATION_KIND, type JobInvocation } from "../resources/job-invocation.js";
import type { NewResource, ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import { setCondition } from "./conditions.js";
import { planDeployment } from "./deploy-hooks-plan.js";
import { getIfExists } from "./read-object.js";
import { PROGRESSING } from "./rollout-plan.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createRolloutController`. */
export interface RolloutControllerOptions {
  store: Store;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** How long DEPLOYING may take; default 10 minutes. */
  deployTimeoutMs?: number;
  /** How often a DEPLOYING deployment is looked at again for its deadline; default 5 s. */
  recheckMs?: number;
  /**
   * Run PRE_DEPLOY, POST_DEPLOY and FAILED_DEPLOY jobs as JobInvocations (ADR 0025); true when a
   * JobInvocation controller runs them. Default false: hook jobs are ignored.
   */
  deployHooks?: boolean;
  queue?: WorkQueueOptions;
  log?: Logger;
}

interface Deps {
  store: Store;
  now: () => Date;
  deployTimeoutMs: number | undefined;
  recheckMs: number;
  deployHooks: boolean;
}

async function ownedInstances(store: Store, deployment: Deployment): Promise<Instance[]> {
  const { namespace, name, uid } = deployment.metadata;
  const { items } = await store.list<Instance>(INSTANCE_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.deployment}=${name}`,
  });
  return items.filter((i) => i.metadata.ownerReferences?.some((ref) => ref.uid === uid));
}

async function ownedInvocations(deps: Deps, deployment: Deployment): Promise<JobInvocation[]> {
  if (!deps.deployHooks) return [];
  const { namespace, name } = deployment.metadata;
  const { items } = await deps.store.list<JobInvocation>(JOB_INVOCATION_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.deployment}=${name}`,
  });
  return items;
}

async function createOnce<T extends Instance | JobInvocation>(
  store: Store,
  object: NewResource<T>,
): Promise<void> {
  try {
    await store.create<T>(object);
  } catch (err) {
    // Created by an earlier reconcile whose write our list did not see yet.
    if (!isErrorCode(err, "already_exists")) throw err;
  }
}

/** Marks the app's older ACTIVE deployments SUPERSEDED (their reconciles then drain them). */
async function supersedeOlder(deps: Deps, deployment: Deployment): Promise<void> {
  const { namespace } = deployment.metadata;
  const { items } = await deps.store.list<Deployment>(DEPLOYMENT_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.app}=${deployment.spec.app}`,
  });
  const mine = deployment.metadata.creationTimestamp;
  for (const other of items) {
    if (other.metadata.uid === deployment.metadata.uid || other.spec.appUid !== deployment.spec.appUid)
      continue;
    if (other.status?.phase !== "ACTIVE" || other.metadata.creationTimestamp > mine) continue;
    const now = deps.now();
    const observedGeneration = other.metadata.generation;
    const status: DeploymentResourceStatus = {
      ...other.status,
      phase: "SUPERSEDED",
      phaseLastUpdatedAt: now.toISOString(),
      conditions: setCondition(
        other.status.conditions,
        {
          type: PROGRESSING,
          status: "False",
          reason: "Superseded",
          message: `deployment ${deployment.metadata.name} replaced it`,
          observedGeneration,
        },
        now,
      ),
    };
    await deps.store.updateStatus<Deployment>({ ...other, status });
  }
}

async function reconcileRollout(deps: Deps, key: ObjectKey): Promise<Result> {
  const deployment = await getIfExists<Deployment>(deps.store, DEPLOYMENT_KIND, key);
  if (deployment === undefined || deployment.metadata.deletionTimestamp !== undefined) return {};
  const instances = await ownedInstances(deps.store, deployment);
  const plan = planDeployment(deployment, instances, await ownedInvocations(deps, deployment), {
    now: deps.now(),
    hooks: deps.deployHooks,
    ...(deps.deployTimeoutMs === undefined ? {} : { deployTimeoutMs: deps.deployTimeoutMs }),
  });
  // Hook invocations before the status that shows them: a crash in between finds them by name.
  for (const invocation of plan.invoke) await createOnce(deps.store, invocation);
  for (const invocation of plan.cancel)
    await deps.store.update<JobInvocation>({ ...invocation, spec: { ...invocation.spec, canceled: true } });
  for (const instance of plan.create) await createOnce(deps.store, instance);
  for (const instance of plan.drain)
    await deps.store.update<Instance>({ ...instance, spec: { ...instance.spec, draining: true } });
  let phase = deployment.status?.phase;
  if (plan.status !== undefined && !isDeepStrictEqual(plan.status, deployment.status)) {
    // Progress timestamps aside, an unchanged phase and condition need no write.
    await deps.store.updateStatus<Deployment>({ ...deployment, status: plan.status });
    phase = plan.status.phase;
  }
  if (phase === "ACTIVE") await supersedeOlder(deps, deployment);
  return phase === "DEPLOYING" || phase === "PENDING_DEPLOY" ? { requeueAfter: deps.recheckMs } : {};
}

/** The rollout controller; it watches Deployments and the Instances they own. */
export function createRolloutController(options: RolloutControllerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    now: options.now ?? (() => new Date()),
    deployTimeoutMs: options.deployTimeoutMs,
    recheckMs: options.recheckMs ?? 5000,
    deployHooks: options.deployHooks ?? false,
  };
  return createController({
    name: "rollout",
    forKind: DEPLOYMENT_KIND,
    owns: [INSTANCE_KIND, JOB_INVOCATION_KIND],
    reconcile: (key) => reconcileRollout(deps, key),
    concurrency: 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
