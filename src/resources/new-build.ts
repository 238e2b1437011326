/**
 * The Builds a Deployment needs: one per component that builds (services, static sites, workers,
 * jobs), named `<deployment>-<component>` so that creating them is idempotent by name. Pure: the
 * Deployment controller stores them.
 */
import type { EnvVarSpec } from "../spec/index.js";
import {
  BUILD_KIND,
  BUILT_COMPONENT_LISTS,
  type Build,
  type BuildFields,
  type BuildSource,
  type BuiltComponentKind,
} from "./build.js";
import { type Deployment, LABELS } from "./deployment.js";
import { API_VERSION, type NewResource } from "./meta.js";

const SOURCE_KEYS = ["git", "github", "gitlab", "bitbucket", "image"] as const;
const FIELD_KEYS = [
  "build_command",
  "dockerfile_path",
  "source_dir",
  "environment_slug",
  "output_dir",
] as const;

type BuiltComponent = BuildSource & BuildFields & { name: string; envs?: EnvVarSpec[] };

/** The name of the Build of `component` in `deployment`. */
export function buildName(deployment: string, component: string): string {
  return `${deployment}-${component}`;
}

function pick<K extends string>(
  from: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

/** Keys of the envs a build sees: not RUN_TIME (an unset scope means RUN_AND_BUILD_TIME). */
function buildEnvKeys(...lists: (EnvVarSpec[] | undefined)[]): string[] {
  const keys = lists.flatMap((list) => (list ?? []).filter((e) => e.scope !== "RUN_TIME").map((e) => e.key));
  return [...new Set(keys)].sort();
}

function newBuild(deployment: Deployment, kind: BuiltComponentKind, c: BuiltComponent): NewResource<Build> {
  const { namespace } = deployment.metadata;
  return {
    apiVersion: API_VERSION,
    kind: BUILD_KIND,
    metadata: {
      name: buildName(deployment.metadata.name, c.name),
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [LABELS.app]: deployment.spec.app, [LABELS.deployment]: deployment.metadata.name },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: deployment.kind,
          name: deployment.metadata.name,
          uid: deployment.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      app: deployment.spec.app,
      deployment: deployment.metadata.name,
      component: c.name,
      componentKind: kind,
      source: pick(c, SOURCE_KEYS) as BuildSource,
      ...(SOURCE_KEYS.some((k) => c[k] !== undefined) ? {} : { usesAppSource: true }),
      buildFields: pick(c, FIELD_KEYS) as BuildFields,
      buildEnv: buildEnvKeys(deployment.spec.appSpec.envs, c.envs),
      forceBuild: deployment.spec.forceBuild,
    },
    status: { phase: "PENDING", attempts: 0 },
  };
}

/** One new Build per component of the Deployment's spec that builds, in spec order. */
export function newBuilds(deployment: Deployment): NewResource<Build>[] {
  const spec = deployment.spec.appSpec;
  return BUILT_COMPONENT_LISTS.flatMap((kind) =>
    ((spec[kind] ?? []) as BuiltComponent[]).map((c) => newBuild(deployment, kind, c)),
  );
}
