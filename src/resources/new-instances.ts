/**
 * The Instances a Deployment runs: for every service and worker, `instance_count` copies (the
 * autoscaling minimum when autoscaling is set; 1 by default), named `<deployment>-<component>-<i>`
 * so that creating them is idempotent. Pure.
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

interface RunningComponent {
  name: string;
  instance_count?: number;
  autoscaling?: { min_instance_count?: number };
}

/** The name of instance `index` of `component` in `deployment`. */
export function instanceName(deployment: string, component: string, index: number): string {
  return `${deployment}-${component}-${index}`;
}

/** How many instances a component runs. */
export function instanceCount(component: RunningComponent): number {
  return component.autoscaling?.min_instance_count ?? component.instance_count ?? 1;
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

/**
 * Every Instance `deployment` should run, given its artifacts (component -> artifact id). Throws
 * when a running component has no artifact: the deployment is not ready to roll out.
 */
export function newInstances(deployment: Deployment): NewResource<Instance>[] {
  const artifacts = deployment.status?.artifacts ?? {};
  const { namespace, name, uid } = deployment.metadata;
  return runningComponents(deployment).flatMap(({ kind, component }) => {
    const artifactId = artifacts[component.name];
    if (artifactId === undefined || artifactId === "")
      throw new Error(`deployment ${name} has no artifact for ${component.name}`);
    return Array.from({ length: instanceCount(component) }, (_, index) => ({
      apiVersion: API_VERSION,
      kind: INSTANCE_KIND,
      metadata: {
        name: instanceName(name, component.name, index),
        ...(namespace === undefined ? {} : { namespace }),
        labels: {
          [LABELS.app]: deployment.spec.app,
          [LABELS.deployment]: name,
          [INSTANCE_LABELS.component]: component.name,
        },
        ownerReferences: [{ apiVersion: API_VERSION, kind: deployment.kind, name, uid, controller: true }],
      },
      spec: {
        app: deployment.spec.app,
        appUid: deployment.spec.appUid,
        deployment: name,
        component: component.name,
        componentKind: kind,
        index,
        artifactId,
      },
      status: { phase: "Pending", ready: false, restarts: 0 },
    }));
  });
}
