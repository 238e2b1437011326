/**
 * The sleep controller (scale to zero, ADR 0023): for each ACTIVE Deployment with services that
 * set `inactivity_sleep`, it reads each such component's request total (injected: HAProxy's
 * backend counter), decides idleness with `decideSleep` and marks the component's instances
 * `suspended` once it has had no request for `after_seconds`. It never clears `suspended`: the
 * activator does, on the first request (the instance controller then starts them again). It never
 * changes instance counts. What it remembers (last total, last activity) lives in memory; after
 * a restart the idle clock starts again.
 */
import { DEPLOYMENT_KIND, type Deployment, LABELS } from "../resources/deployment.js";
import { INSTANCE_KIND, type Instance } from "../resources/instance.js";
import type { ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import { keyString } from "./runtime/object-key.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";
import { type ActivityState, decideSleep } from "./sleep-decision.js";

/** Reads a component's request total; undefined when it is not routed (yet). */
export type RequestTotals = (app: string, component: string) => Promise<number | undefined>;

/** Options of `createSleepController`. */
export interface SleepControllerOptions {
  store: Store;
  /** Where the request totals come from (HAProxy's `show stat` in the server). */
  requestTotals: RequestTotals;
  /** Default `Date.now`. */
  now?: () => number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

/** `after_seconds` when `inactivity_sleep` is given without it: DigitalOcean's least, 600. */
export const DEFAULT_AFTER_SECONDS = 600;

/** The services of a spec that sleep, with their idle time in ms. */
export function sleepingServices(spec: Deployment["spec"]["appSpec"]): { name: string; afterMs: number }[] {
  return (spec.services ?? []).flatMap((s) =>
    s.inactivity_sleep === undefined
      ? []
      : [{ name: s.name, afterMs: (s.inactivity_sleep.after_seconds ?? DEFAULT_AFTER_SECONDS) * 1000 }],
  );
}

interface Deps {
  store: Store;
  requestTotals: RequestTotals;
  now: () => number;
  /** `<namespace>/<deployment>/<component>` -> what the last look saw. */
  states: Map<string, ActivityState>;
}

async function liveInstances(store: Store, deployment: Deployment): Promise<Instance[]> {
  const { namespace, name, uid } = deployment.metadata;
  const { items } = await store.list<Instance>(INSTANCE_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.deployment}=${name}`,
  });
  return items.filter(
    (i) => i.spec.draining !== true && i.metadata.ownerReferences?.some((ref) => ref.uid === uid),
  );
}

/** Drops what was remembered of a deployment that is gone, no longer serves or no longer sleeps. */
function forget(deps: Deps, prefix: string): void {
  for (const id of deps.states.keys()) if (id.startsWith(prefix)) deps.states.delete(id);
}

async function reconcileSleep(deps: Deps, key: ObjectKey): Promise<Result> {
  const deployment = await getIfExists<Deployment>(deps.store, DEPLOYMENT_KIND, key);
  const prefix = `${keyString(key)}/`;
  if (deployment === undefined) {
    forget(deps, prefix);
    return {};
  }
  const services = sleepingServices(deployment.spec.appSpec);
  if (deployment.status?.phase !== "ACTIVE" || services.length === 0) {
    forget(deps, prefix);
    return {};
  }
  const instances = await liveInstances(deps.store, deployment);
  let recheckMs = Number.POSITIVE_INFINITY;
  for (const service of services) {
    const mine = instances.filter((i) => i.spec.component === service.name);
    if (mine.length === 0) continue;
    const id = `${prefix}${service.name}`;
    const total = await deps.requestTotals(deployment.spec.app, service.name).catch(() => undefined);
    const decision = decideSleep(
      deps.states.get(id),
      {
        nowMs: deps.now(),
        total,
        suspended: mine.every((i) => i.spec.suspended === true),
        serving: mine.every((i) => i.spec.suspended !== true && i.status?.ready === true),
      },
      { afterMs: service.afterMs },
    );
    // A failed write (a conflict with the activator waking it) throws: the key is retried.
    if (decision.suspend)
      for (const i of mine) await deps.store.update<Instance>({ ...i, spec: { ...i.spec, suspended: true } });
    deps.states.set(id, decision.state);
    recheckMs = Math.min(recheckMs, decision.recheckMs);
  }
  return Number.isFinite(recheckMs) ? { requeueAfter: recheckMs } : {};
}

/** The sleep controller. */
export function createSleepController(options: SleepControllerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    requestTotals: options.requestTotals,
    now: options.now ?? Date.now,
    states: new Map(),
  };
  return createController({
    name: "sleep",
    forKind: DEPLOYMENT_KIND,
    owns: [INSTANCE_KIND],
    reconcile: (key) => reconcileSleep(deps, key),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
