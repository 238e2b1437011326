/**
 * The instance controller: this machine's agent, like the kubelet. For each Instance it keeps a
 * run of the InstanceDriver going and writes what the driver observes into the Instance's status.
 * A draining Instance is left out of the router at once (the router reads `draining`), stopped
 * after its component's `termination.drain_seconds` with SIGTERM (SIGKILL after
 * `grace_period_seconds`), and then deleted. Runs are kept in memory; after a restart the driver
 * adopts sandboxes that still run. A suspended Instance (scale to zero, ADR 0023) has its run
 * stopped and reports phase Suspended until `suspended` is cleared, when it starts again.
 */
import { isDeepStrictEqual } from "node:util";
import { DEPLOYMENT_KIND, type Deployment } from "../resources/deployment.js";
import { isErrorCode } from "../resources/errors.js";
import { INSTANCE_KIND, type Instance, type InstanceResourceStatus } from "../resources/instance.js";
import type { ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import type { InstanceDriver, RunningInstance } from "./instance-driver.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import { keyString } from "./runtime/object-key.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createInstanceController`. */
export interface InstanceControllerOptions {
  store: Store;
  driver: InstanceDriver;
  /** Waits `ms` (drain periods); default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  queue?: WorkQueueOptions;
  log?: Logger;
}

interface Run {
  uid: string;
  /** Set once the driver started it. */
  running?: RunningInstance;
  /** Why the start failed. */
  startError?: string;
  stopping: boolean;
  done: Promise<void>;
}

interface Deps {
  store: Store;
  driver: InstanceDriver;
  sleep: (ms: number) => Promise<void>;
  runs: Map<string, Run>;
  enqueue: (key: ObjectKey) => void;
}

interface Termination {
  drainMs: number;
  graceMs: number;
}

function termination(deployment: Deployment | undefined, instance: Instance): Termination {
  const list = (deployment?.spec.appSpec[instance.spec.componentKind] ?? []) as {
    name: string;
    termination?: { drain_seconds?: number; grace_period_seconds?: number };
  }[];
  const t = list.find((c) => c.name === instance.spec.component)?.termination;
  const drain = instance.spec.componentKind === "services" ? (t?.drain_seconds ?? 15) : 0;
  return { drainMs: drain * 1000, graceMs: (t?.grace_period_seconds ?? 120) * 1000 };
}

async function deploymentOf(store: Store, instance: Instance): Promise<Deployment | undefined> {
  const namespace = instance.metadata.namespace;
  return getIfExists<Deployment>(store, DEPLOYMENT_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    name: instance.spec.deployment,
  });
}

function startRun(deps: Deps, key: ObjectKey, instance: Instance, deployment: Deployment): Run {
  const run: Run = { uid: instance.metadata.uid, stopping: false, done: Promise.resolve() };
  run.done = deps.driver
    .run({ instance, deployment, onChange: () => deps.enqueue(key) })
    .then(
      (running) => {
        run.running = running;
      },
      (err: unknown) => {
        run.startError = err instanceof Error ? err.message : String(err);
      },
    )
    .finally(() => deps.enqueue(key));
  return run;
}

/** Drains, stops and deletes; runs outside the reconcile (a drain takes seconds to minutes). */
function stopRun(deps: Deps, key: ObjectKey, run: Run, t: Termination, deleteObject: boolean): void {
  run.stopping = true;
  const previous = run.done;
  run.done = (async () => {
    await previous;
    if (t.drainMs > 0) await deps.sleep(t.drainMs);
    await run.running?.stop(t.graceMs);
    deps.runs.delete(keyString(key));
    if (deleteObject) {
      await deps.store.delete(INSTANCE_KIND, key).catch((err: unknown) => {
        if (!isErrorCode(err, "not_found")) throw err;
      });
    }
    // A suspended instance reports Suspended once nothing runs (and an unsuspended one starts).
    deps.enqueue(key);
  })().catch(() => deps.enqueue(key));
}

function statusOf(instance: Instance, run: Run): InstanceResourceStatus {
  const previous = instance.status ?? { phase: "Pending", ready: false, restarts: 0 };
  if (run.startError !== undefined)
    return { ...previous, phase: "Failed", ready: false, message: `could not start: ${run.startError}` };
  if (run.running === undefined) return previous;
  const observed = run.running.state();
  const status: InstanceResourceStatus = { ...observed };
  if (previous.conditions !== undefined) status.conditions = previous.conditions;
  return status;
}

/**
 * How long a suspended instance keeps serving before SIGTERM: it has had no request for its
 * `inactivity_sleep.after_seconds`, so this only covers a request that raced the router's switch
 * to the activator.
 */
const SUSPEND_DRAIN_MS = 1000;

/** Stops the run of a suspended instance (the object stays), then reports phase Suspended. */
async function suspend(
  deps: Deps,
  key: ObjectKey,
  instance: Instance,
  run: Run | undefined,
  deployment: Deployment,
): Promise<Result> {
  if (run !== undefined) {
    const graceMs = termination(deployment, instance).graceMs;
    if (!run.stopping) stopRun(deps, key, run, { drainMs: SUSPEND_DRAIN_MS, graceMs }, false);
    return {};
  }
  const previous = instance.status ?? { phase: "Pending", ready: false, restarts: 0 };
  const status: InstanceResourceStatus = { phase: "Suspended", ready: false, restarts: previous.restarts };
  if (previous.lastTermination !== undefined) status.lastTermination = previous.lastTermination;
  if (previous.conditions !== undefined) status.conditions = previous.conditions;
  if (!isDeepStrictEqual(status, instance.status))
    await deps.store.updateStatus<Instance>({ ...instance, status });
  return {};
}

async function reconcileInstance(deps: Deps, key: ObjectKey): Promise<Result> {
  const id = keyString(key);
  const instance = await getIfExists<Instance>(deps.store, INSTANCE_KIND, key);
  let run = deps.runs.get(id);
  if (instance === undefined || (run !== undefined && run.uid !== instance.metadata.uid)) {
    // Deleted (or replaced by another object of the same name): stop what ran for it.
    if (run !== undefined && !run.stopping) stopRun(deps, key, run, { drainMs: 0, graceMs: 10_000 }, false);
    if (instance === undefined) return {};
    run = undefined;
  }
  const deployment = await deploymentOf(deps.store, instance);
  if (instance.spec.draining === true || deployment === undefined) {
    if (run === undefined) {
      // Nothing runs for it in this process (never started, or started before a restart):
      // start it only to stop it cleanly would be wasteful; the driver's sweep stops leftovers.
      await deps.store.delete(INSTANCE_KIND, key).catch((err: unknown) => {
        if (!isErrorCode(err, "not_found")) throw err;
      });
      return {};
    }
    if (!run.stopping) stopRun(deps, key, run, termination(deployment, instance), true);
    return {};
  }
  if (instance.spec.suspended === true) return suspend(deps, key, instance, run, deployment);
  if (run === undefined) {
    run = startRun(deps, key, instance, deployment);
    deps.runs.set(id, run);
    return {};
  }
  const status = statusOf(instance, run);
  if (!isDeepStrictEqual(status, instance.status))
    await deps.store.updateStatus<Instance>({ ...instance, status });
  return {};
}

/** The instance controller. Its `stop` leaves instances running (a restart adopts them). */
export function createInstanceController(options: InstanceControllerOptions): Controller {
  const runs = new Map<string, Run>();
  const deps: Deps = {
    store: options.store,
    driver: options.driver,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    runs,
    enqueue: (key) => controller.enqueue(key),
  };
  const controller = createController({
    name: "instance",
    forKind: INSTANCE_KIND,
    reconcile: (key) => reconcileInstance(deps, key),
    concurrency: 2,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return controller;
}
