/**
 * Which of a component's envs a build sees: BUILD_TIME and RUN_AND_BUILD_TIME (the default
 * scope), never RUN_TIME. Component envs override app-level envs with the same key.
 */
import type { EnvVarSpec } from "../../spec/index.js";

/** One env as the build sees it: key, value (empty when unset), SECRET or not, run time too or not. */
export interface BuildEnv {
  key: string;
  value: string;
  secret: boolean;
  /** True for RUN_AND_BUILD_TIME: the value is also seen at run time. */
  runTime: boolean;
}

/**
 * The envs visible to a build, sorted by key. App-level `appEnvs` come first and are overridden
 * by `componentEnvs` of the same key (whatever either's scope). An absent or `UNSET` scope counts
 * as RUN_AND_BUILD_TIME, as in the app spec.
 */
export function buildEnvs(
  appEnvs: readonly EnvVarSpec[] | undefined,
  componentEnvs: readonly EnvVarSpec[] | undefined,
): BuildEnv[] {
  const merged = new Map<string, EnvVarSpec>();
  for (const env of [...(appEnvs ?? []), ...(componentEnvs ?? [])]) merged.set(env.key, env);
  return [...merged.values()]
    .filter((e) => e.scope !== "RUN_TIME")
    .map((e) => ({
      key: e.key,
      value: e.value ?? "",
      secret: e.type === "SECRET",
      runTime: e.scope !== "BUILD_TIME",
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
