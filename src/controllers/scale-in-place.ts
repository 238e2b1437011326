/**
 * Whether an App generation can be served by scaling its ACTIVE deployment instead of deploying
 * it (ADR 0024), pure: when the App's spec and source differ from the deployment's snapshot only
 * in the `instance_count` of services and workers, the new counts become the deployment's live
 * counts (`spec.scale`) and no Deployment is created.
 */
import { isDeepStrictEqual } from "node:util";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import { instanceCount, type RunningComponent, runningComponents } from "../resources/new-instances.js";
import { diff, normalize } from "../spec/index.js";

/**
 * The live counts to record on `active` for `app`'s current spec (the components without
 * autoscaling, from their `instance_count`; autoscaled ones keep the autoscaler's count), or
 * undefined when anything else changed and the App needs a new Deployment. A spec identical to the
 * snapshot (a revert after a failed deploy) also scales in place: nothing else would change.
 */
export function inPlaceScale(app: App, active: Deployment): Record<string, number> | undefined {
  if (!isDeepStrictEqual(app.spec.source, active.spec.source)) return undefined;
  const changes = diff(active.spec.appSpec, app.spec.appSpec);
  if (changes.app.length > 0) return undefined;
  for (const c of changes.components) {
    if (c.change === "unchanged") continue;
    const countOnly =
      c.change === "redeploy" &&
      (c.list === "services" || c.list === "workers") &&
      c.reasons.every((r) => r === "instance_count");
    if (!countOnly) return undefined;
  }
  const next = normalize(app.spec.appSpec);
  const scale: Record<string, number> = { ...active.spec.scale };
  const components: RunningComponent[] = [...(next.services ?? []), ...(next.workers ?? [])];
  for (const component of components) {
    if (component.autoscaling === undefined) scale[component.name] = component.instance_count ?? 1;
  }
  return scale;
}

/** The live count of every running component of `deployment` ("web x5, worker x1"). */
export function describeCounts(deployment: Deployment, scale: Record<string, number>): string {
  return runningComponents(deployment)
    .map(({ component }) => `${component.name} x${scale[component.name] ?? instanceCount(component)}`)
    .join(", ");
}

/**
 * The live counts a new Deployment of `app` starts with: for each component that autoscales in
 * both the App's spec and `active`, `active`'s current count, kept within the new bounds, so a
 * deploy under load does not fall back to the minimum. Undefined when there is none.
 */
export function carriedScale(app: App, active: Deployment | undefined): Record<string, number> | undefined {
  if (active?.spec.scale === undefined) return undefined;
  const next = normalize(app.spec.appSpec);
  const components: RunningComponent[] = [...(next.services ?? []), ...(next.workers ?? [])];
  const carried: Record<string, number> = {};
  for (const component of components) {
    const count = active.spec.scale[component.name];
    const bounds = component.autoscaling;
    if (count === undefined || bounds === undefined) continue;
    const min = bounds.min_instance_count ?? 1;
    carried[component.name] = Math.min(bounds.max_instance_count ?? count, Math.max(min, count));
  }
  return Object.keys(carried).length === 0 ? undefined : carried;
}
