/**
 * Compares two specs and tells, per component, whether the change needs a new build or only a
 * redeploy. A config-only change (instance counts, run-time envs, health checks, routes) reuses
 * the component's artifact; a change to its source or build inputs rebuilds it.
 */
import { normalize } from "./normalize.js";
import { type AppSpec, COMPONENT_LISTS, type ComponentList, type EnvVarSpec } from "./schema.js";

/** What happens to one component. */
export type ComponentChangeKind = "added" | "removed" | "rebuild" | "redeploy" | "unchanged";

/** The change of one component, with the fields that caused it. */
export interface ComponentChange {
  name: string;
  list: ComponentList;
  change: ComponentChangeKind;
  /** Field paths (relative to the component, or `envs.KEY`, `app.envs.KEY`, `app.features`) that differ. */
  reasons: string[];
}

/** The result of `diff`. */
export interface SpecDiff {
  components: ComponentChange[];
  /** App-level fields (outside components) that differ, e.g. `domains`, `ingress`. */
  app: string[];
}

/** Fields whose change means a new build. */
export const BUILD_FIELDS = [
  "git",
  "github",
  "gitlab",
  "bitbucket",
  "image",
  "dockerfile_path",
  "build_command",
  "source_dir",
  "environment_slug",
  "output_dir",
] as const;

type Component = Record<string, unknown> & { name: string };

/** Compares `before` and `after` (both valid specs; normalized here so defaults do not count). */
export function diff(before: AppSpec, after: AppSpec): SpecDiff {
  const a = normalize(before);
  const b = normalize(after);
  const appBuild = buildEnvChanges(a.envs, b.envs, "app.envs");
  if (!same(a.features, b.features)) appBuild.push("app.features");
  const old = componentsByName(a);
  const next = componentsByName(b);
  const components: ComponentChange[] = [];
  for (const [name, n] of next) {
    const o = old.get(name);
    if (o === undefined) components.push({ name, list: n.list, change: "added", reasons: [] });
    else components.push(compare(o, n, appBuild));
  }
  for (const [name, o] of old) {
    if (!next.has(name)) components.push({ name, list: o.list, change: "removed", reasons: [] });
  }
  const appKeys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const app = [...appKeys]
    .filter((k) => !(COMPONENT_LISTS as readonly string[]).includes(k))
    .filter((k) => !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    .sort();
  return { components, app };
}

function componentsByName(spec: AppSpec): Map<string, { list: ComponentList; value: Component }> {
  const out = new Map<string, { list: ComponentList; value: Component }>();
  for (const list of COMPONENT_LISTS) {
    for (const c of (spec[list] ?? []) as Component[]) out.set(c.name, { list, value: c });
  }
  return out;
}

function compare(
  o: { list: ComponentList; value: Component },
  n: { list: ComponentList; value: Component },
  appBuild: string[],
): ComponentChange {
  const name = n.value.name;
  const build: string[] = [];
  if (o.list !== n.list) build.push(`kind (${o.list} -> ${n.list})`);
  for (const f of BUILD_FIELDS) {
    if (!same(withoutDeployOnPush(o.value[f]), withoutDeployOnPush(n.value[f]))) build.push(f);
  }
  build.push(
    ...buildEnvChanges(
      o.value.envs as EnvVarSpec[] | undefined,
      n.value.envs as EnvVarSpec[] | undefined,
      "envs",
    ),
  );
  build.push(...appBuild);
  if (build.length > 0) return { name, list: n.list, change: "rebuild", reasons: build };
  const keys = new Set([...Object.keys(o.value), ...Object.keys(n.value)]);
  // Build fields are equal here except perhaps deploy_on_push, which changes how deploys start, not the app.
  const buildFields: readonly string[] = BUILD_FIELDS;
  const redeploy = [...keys].filter((k) => !buildFields.includes(k) && !same(o.value[k], n.value[k])).sort();
  return { name, list: n.list, change: redeploy.length > 0 ? "redeploy" : "unchanged", reasons: redeploy };
}

/** Envs visible to the build: BUILD_TIME and RUN_AND_BUILD_TIME (normalized, so never UNSET). */
function buildEnvs(envs: EnvVarSpec[] | undefined): Map<string, EnvVarSpec> {
  return new Map((envs ?? []).filter((e) => e.scope !== "RUN_TIME").map((e) => [e.key, e]));
}

function buildEnvChanges(
  before: EnvVarSpec[] | undefined,
  after: EnvVarSpec[] | undefined,
  prefix: string,
): string[] {
  const a = buildEnvs(before);
  const b = buildEnvs(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .filter((k) => !same(a.get(k), b.get(k)))
    .map((k) => `${prefix}.${k}`)
    .sort();
}

function withoutDeployOnPush(source: unknown): unknown {
  if (typeof source !== "object" || source === null) return source;
  const { deploy_on_push: _ignored, ...rest } = source as Record<string, unknown>;
  return rest;
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with sorted keys, so that key order never counts as a change. */
export function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      );
    }) ?? "undefined"
  );
}
