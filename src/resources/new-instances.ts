/**
 * The Instances a Deployment runs: for every service and worker, `instance_count` copies (the
 * autoscaling minimum when autoscaling is set; 1 by default; the live `spec.scale` count when the
 * deployment was scaled, ADR 0024), named `<deployment>-<component>-<i>` so that creating them is
 * idempotent. Pure.
 */
import { type Deployment, LABELS } from "./deployment.js";
import {
  INSTANCE_KIND,
  INSTANCE_LABELS,
  type Instance,
  RUNNING_COMPONENT_LISTS,
  type RunningComponentKind,
} from "./instance.js";
import { API_VERSION, type NewResource } from "./meta.js";

/** The fields of a service or worker that say how many instances it runs. */
export interface RunningComponent {
  name: string;
  instance_count?: number;
  autoscaling?: {
    min_instance_count?: number;
    max_instance_count?: number;
    metrics?: { cpu?: { percent?: number } };
  };
}

/** The name of instance `index` of `component` in `deployment`. */
export function instanceName(deployment: string, component: string, index: number): string {
  return `${deployment}-${component}-${index}`;
}

/** How many instances a component runs. */
export function instanceCount(component: RunningComponent): number {
  return component.autoscaling?.min_instance_count ?? component.instance_count ?? 1;
}

/**
 * How many instances `component` of `deployment` should run now: the live count in
 * `deployment.spec.scale` when it names the component, else {@link instanceCount}.
 */
export function desiredCount(deployment: Deployment, component: RunningComponent): number {
  return deployment.spec.scale?.[component.name] ?? instanceCount(component);
}

/** The running components of a deployment, in spec order. */
export function runningComponents(
  deployment: Deployment,
): { kind: RunningComponentKind; component: RunningComponent }[] {
  const spec = deployment.spec.appSpec;
  return RUNNING_COMPONENT_LISTS.flatMap((kind) =>
    ((spec[kind] ?? []) as RunningComponent[]).map((component) => ({ kind, component })),
  );
}

/** The artifact of `component`; throws when it has none (the deployment is not ready to roll out). */
function artifactOf(deployment: Deployment, component: string): string {
  const artifactId = deployment.status?.artifacts?.[component];
  if (artifactId === undefined || artifactId === "")
    throw new Error(`deployment ${deployment.metadata.name} has no artifact for ${component}`);
  return artifactId;
}

/**
 * Instance `index` of running `component` (of list `kind`) of `deployment`. Throws when the
 * component has no artifact.
 */
export function newInstance(
  deployment: Deployment,
  kind: RunningComponentKind,
  component: string,
  index: number,
): NewResource<Instance> {
  const artifactId = artifactOf(deployment, component);
  const { namespace, name, uid } = deployment.metadata;
  return {
    apiVersion: API_VERSION,
    kind: INSTANCE_KIND,
    metadata: {
      name: instanceName(name, component, index),
      ...(namespace === undefined ? {} : { namespace }),
      labels: {
        [LABELS.app]: deployment.spec.app,
        [LABELS.deployment]: name,
        [INSTANCE_LABELS.component]: component,
      },
      ownerReferences: [{ apiVersion: API_VERSION, kind: deployment.kind, name, uid, controller: true }],
    },
    spec: {
      app: deployment.spec.app,
      appUid: deployment.spec.appUid,
      deployment: name,
      component,
      componentKind: kind,
      index,
      artifactId,
    },
    status: { phase: "Pending", ready: false, restarts: 0 },
  };
}

/**
 * Every Instance `deployment` should run (indexes 0 to its desired count - 1), given its
 * artifacts (component -> artifact id). Throws when a running component has no artifact: the
 * deployment is not ready to roll out.
 */
export function newInstances(deployment: Deployment): NewResource<Instance>[] {
  return runningComponents(deployment).flatMap(({ kind, component }) =>
    Array.from({ length: desiredCount(deployment, component) }, (_, index) =>
      newInstance(deployment, kind, component.name, index),
    ),
  );
}
