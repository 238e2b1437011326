/**
 * The autoscaler (ADR 0024): every `intervalMs`, for each ACTIVE Deployment with autoscaled
 * services or workers, samples the CPU use of their ready instances (InstanceMetrics), decides the
 * count (desiredReplicas, HPA-like) and writes it as the live count (`spec.scale`); the rollout
 * controller then creates or drains instances. When the count last changed is kept per component
 * in the `slipway.dev/scaled-at` annotation, written with the count in one update, so the
 * scale-down stabilization window survives a restart of the control plane.
 */
import { isDeepStrictEqual } from "node:util";
import { DEPLOYMENT_KIND, type Deployment, LABELS } from "../resources/deployment.js";
import { INSTANCE_KIND, type Instance } from "../resources/instance.js";
import type { ObjectKey } from "../resources/meta.js";
import { desiredCount, runningComponents } from "../resources/new-instances.js";
import type { Store } from "../store/store.js";
import { desiredReplicas } from "./autoscale-decision.js";
import type { InstanceMetrics } from "./instance-metrics.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import { type Logger, silentLogger } from "./runtime/logger.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** The annotation holding, as JSON, when each component's count was last changed by the autoscaler. */
export const SCALED_AT_ANNOTATION = "slipway.dev/scaled-at";

/** DigitalOcean's default CPU target when `autoscaling.metrics.cpu.percent` is not set. */
export const DEFAULT_CPU_PERCENT = 80;

/** Options of `createAutoscaler`. */
export interface AutoscalerOptions {
  store: Store;
  metrics: InstanceMetrics;
  /** How often each deployment's CPU use is sampled and its counts decided; default 15 s. */
  intervalMs?: number;
  /** No scale-down within this long after a scale; default 5 minutes (the HPA's). */
  stabilizationMs?: number;
  /** Default `() => new Date()`. */
  now?: () => Date;
  queue?: WorkQueueOptions;
  log?: Logger;
}

interface Deps {
  store: Store;
  metrics: InstanceMetrics;
  intervalMs: number;
  stabilizationMs: number;
  now: () => Date;
  log: Logger;
  /** When each deployment was last sampled: events in between must not shorten the interval. */
  sampled: Map<string, number>;
}

function scaledAt(deployment: Deployment): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(deployment.metadata.annotations?.[SCALED_AT_ANNOTATION] ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
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

async function reconcileAutoscale(deps: Deps, key: ObjectKey): Promise<Result> {
  const id = `${key.namespace ?? ""}/${key.name}`;
  const deployment = await getIfExists<Deployment>(deps.store, DEPLOYMENT_KIND, key);
  const scaled = (deployment === undefined ? [] : runningComponents(deployment)).filter(
    ({ component }) => component.autoscaling !== undefined,
  );
  if (deployment?.status?.phase !== "ACTIVE" || scaled.length === 0) {
    deps.sampled.delete(id);
    return {};
  }
  const now = deps.now();
  const wait = (deps.sampled.get(id) ?? -Infinity) + deps.intervalMs - now.getTime();
  if (wait > 0) return { requeueAfter: wait };
  deps.sampled.set(id, now.getTime());
  const instances = await liveInstances(deps.store, deployment);
  const scale = { ...deployment.spec.scale };
  const times = scaledAt(deployment);
  for (const { component } of scaled) {
    const ready = instances.filter((i) => i.spec.component === component.name && i.status?.ready === true);
    const samples = await Promise.all(ready.map((i) => deps.metrics.cpuPercent(i, deployment)));
    const current = desiredCount(deployment, component);
    const decision = desiredReplicas({
      current,
      cpuPercents: samples.filter((s): s is number => s !== undefined),
      targetPercent: component.autoscaling?.metrics?.cpu?.percent ?? DEFAULT_CPU_PERCENT,
      min: component.autoscaling?.min_instance_count ?? 1,
      max: component.autoscaling?.max_instance_count ?? current,
      lastScaleTime:
        times[component.name] === undefined ? undefined : new Date(times[component.name] as string),
      now,
      stabilizationMs: deps.stabilizationMs,
    });
    if (decision.replicas === current) continue;
    deps.log.info("autoscaling", {
      deployment: deployment.metadata.name,
      component: component.name,
      from: current,
      to: decision.replicas,
      reason: decision.reason,
      cpuPercents: samples.map((x) => (x === undefined ? null : Math.round(x))),
    });
    scale[component.name] = decision.replicas;
    times[component.name] = now.toISOString();
  }
  if (!isDeepStrictEqual(scale, deployment.spec.scale ?? {})) {
    // A conflict (the App controller scaled meanwhile) is thrown and retried on fresh state.
    await deps.store.update<Deployment>({
      ...deployment,
      metadata: {
        ...deployment.metadata,
        annotations: { ...deployment.metadata.annotations, [SCALED_AT_ANNOTATION]: JSON.stringify(times) },
      },
      spec: { ...deployment.spec, scale },
    });
  }
  return { requeueAfter: deps.intervalMs };
}

/** The autoscaler controller, keyed by Deployment. */
export function createAutoscaler(options: AutoscalerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    metrics: options.metrics,
    intervalMs: options.intervalMs ?? 15_000,
    stabilizationMs: options.stabilizationMs ?? 300_000,
    now: options.now ?? (() => new Date()),
    log: options.log ?? silentLogger(),
    sampled: new Map(),
  };
  return createController({
    name: "autoscaler",
    forKind: DEPLOYMENT_KIND,
    reconcile: (key) => reconcileAutoscale(deps, key),
    concurrency: 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
