/**
 * The env an instance or a job run of a deployment starts with: the spec's envs for the
 * component, with bindable variables resolved from the deployment (app id and address, the
 * components' commit hashes) and the artifact's own env. Shared by the instance driver and the
 * job runner, so a job sees exactly what an instance of the same app would.
 */
import type { Deployment } from "../resources/index.js";
import { appAddress, type ComponentRef, formatEnvIssues, resolveRuntimeEnv } from "../runtime/env/index.js";
import type { AppSpec } from "../spec/index.js";

/** Where the deployment's app is served, for `${APP_URL}` and `${APP_DOMAIN}`. */
export interface AddressOptions {
  /** Apps are at `<app>.<baseDomain>`. */
  baseDomain: string;
  tls: boolean;
}

/**
 * The resolved env of `component` in `deployment` (its `spec` with SECRET values decrypted).
 * Throws a sentence listing every reference that cannot be resolved.
 */
export function deploymentEnv(
  deployment: Deployment,
  spec: AppSpec,
  component: ComponentRef,
  artifactEnv: Readonly<Record<string, string>> | undefined,
  address: AddressOptions,
): Record<string, string> {
  const resolved = resolveRuntimeEnv({
    spec,
    component,
    facts: {
      appId: deployment.spec.appUid,
      ...appAddress(spec, {
        defaultDomain: `${deployment.spec.app}.${address.baseDomain}`,
        tls: address.tls,
      }),
      components: Object.fromEntries(
        Object.entries(deployment.status?.sourceCommits ?? {}).map(([c, commitHash]) => [c, { commitHash }]),
      ),
    },
    ...(artifactEnv === undefined ? {} : { artifactEnv }),
  });
  if (!resolved.ok) throw new Error(formatEnvIssues(resolved.issues));
  return resolved.env;
}
