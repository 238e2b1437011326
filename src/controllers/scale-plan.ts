/**
 * Scaling an ACTIVE deployment in place (ADR 0024), pure: per running component, create the
 * instances missing to reach its desired count (`spec.scale`, else the snapshot's count) and
 * drain the ones beyond it. New instances take traffic only once ready (the router routes ready
 * instances only); drained ones leave the router at once and stop after their drain period.
 */
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import type { NewResource } from "../resources/meta.js";
import { desiredCount, newInstance, runningComponents } from "../resources/new-instances.js";

/** One component whose live instance count changes. */
export interface ScaleChange {
  component: string;
  /** Live (not draining) instances before. */
  from: number;
  to: number;
}

/** What to do to bring an ACTIVE deployment to its desired counts. */
export interface ScalePlan {
  create: NewResource<Instance>[];
  drain: Instance[];
  changes: ScaleChange[];
}

/**
 * Which instances go first when a component scales down: not ready before ready (they serve
 * nothing yet), then the newest (created last, then the higher index), as a ReplicaSet does, so
 * the instances that have served longest, warm caches and all, stay.
 */
function drainOrder(a: Instance, b: Instance): number {
  const readyA = a.status?.ready === true ? 1 : 0;
  const readyB = b.status?.ready === true ? 1 : 0;
  return (
    readyA - readyB ||
    b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) ||
    b.spec.index - a.spec.index
  );
}

/**
 * Plans one reconcile of an ACTIVE `deployment` whose owned (not yet deleted) instances are
 * `instances`. A component never goes below one instance here (sleeping apps are suspended, not
 * scaled to zero). New instances get the lowest indexes that no instance, draining ones included,
 * holds: a name is never reused while its previous holder still drains. Instances that vanished
 * (deleted by hand, lost with a node) are replaced the same way.
 */
export function planScale(deployment: Deployment, instances: readonly Instance[]): ScalePlan {
  const plan: ScalePlan = { create: [], drain: [], changes: [] };
  for (const { kind, component } of runningComponents(deployment)) {
    const desired = Math.max(1, desiredCount(deployment, component));
    const mine = instances.filter((i) => i.spec.component === component.name);
    const live = mine.filter((i) => i.spec.draining !== true);
    if (live.length < desired) {
      const used = new Set(mine.map((i) => i.spec.index));
      let missing = desired - live.length;
      for (let index = 0; missing > 0; index++) {
        if (used.has(index)) continue;
        plan.create.push(newInstance(deployment, kind, component.name, index));
        missing--;
      }
    } else if (live.length > desired) {
      plan.drain.push(...[...live].sort(drainOrder).slice(0, live.length - desired));
    }
    if (live.length !== desired)
      plan.changes.push({ component: component.name, from: live.length, to: desired });
  }
  return plan;
}

/** "scaled web from 1 to 5 instances, worker from 3 to 2 instances". */
export function describeScale(changes: readonly ScaleChange[]): string {
  return `scaled ${changes.map((c) => `${c.component} from ${c.from} to ${c.to} instance${c.to === 1 ? "" : "s"}`).join(", ")}`;
}
