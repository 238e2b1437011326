/**
 * A deployment's spec as it runs now (ADR 0024): the snapshot with the live counts of
 * `spec.scale` written into `instance_count`. Pure.
 */
import type { AppSpec } from "../spec/index.js";
import type { Deployment } from "./deployment.js";

/**
 * `deployment.spec.appSpec` with each component named in `spec.scale` and without autoscaling
 * given that count as its `instance_count` (an autoscaled component keeps its bounds: its count is
 * the autoscaler's). What the API shows and what a restart or rollback of the deployment deploys.
 */
export function liveAppSpec(deployment: Deployment): AppSpec {
  const { appSpec, scale } = deployment.spec;
  if (scale === undefined) return appSpec;
  const live = <C extends { name: string; instance_count?: number; autoscaling?: unknown }>(list?: C[]) =>
    list?.map((c) => {
      const count = scale[c.name];
      return count === undefined || c.autoscaling !== undefined ? c : { ...c, instance_count: count };
    });
  const services = live(appSpec.services);
  const workers = live(appSpec.workers);
  return {
    ...appSpec,
    ...(services === undefined ? {} : { services }),
    ...(workers === undefined ? {} : { workers }),
  };
}
