/**
 * Which artifacts must be kept: those of each app's last deployments (so a rollback never finds
 * its artifact gone), of its active deployment, of any deployment still being built or rolled out
 * and of pinned deployments. Pure: the garbage collector removes what is not in the result.
 */
import type { Build } from "./build.js";
import { type Deployment, TERMINAL_PHASES } from "./deployment.js";

/** Marks a Deployment whose artifacts are kept however old it is (value `"true"`). */
export const PINNED_ANNOTATION = "slipway.dev/pinned";

/** Options of {@link retainedArtifacts}. */
export interface RetentionOptions {
  /** How many of each app's newest deployments keep their artifacts; default 10. */
  perApp?: number;
  /** Active deployments per namespace/app (`App.status.activeDeployment`), always kept. */
  active?: ReadonlySet<string>;
}

function appKey(d: Deployment): string {
  return `${d.metadata.namespace ?? ""}/${d.spec.appUid}`;
}

function artifactsOf(d: Deployment): string[] {
  return Object.values(d.status?.artifacts ?? {}).filter((id) => id !== "");
}

/**
 * The ids of the artifacts to keep. `builds` adds the artifacts of Builds whose Deployment has not
 * recorded them yet (a deployment in progress). `active` names deployments as
 * `<namespace>/<name>`.
 */
export function retainedArtifacts(
  deployments: readonly Deployment[],
  builds: readonly Build[],
  options: RetentionOptions = {},
): Set<string> {
  const perApp = options.perApp ?? 10;
  const keep = new Set<string>();
  const byApp = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const list = byApp.get(appKey(d)) ?? [];
    list.push(d);
    byApp.set(appKey(d), list);
  }
  for (const list of byApp.values()) {
    list.sort(
      (a, b) =>
        b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) ||
        Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion),
    );
    list.forEach((d, index) => {
      const name = `${d.metadata.namespace ?? ""}/${d.metadata.name}`;
      const phase = d.status?.phase ?? "PENDING_BUILD";
      const kept =
        index < perApp ||
        options.active?.has(name) === true ||
        !TERMINAL_PHASES.includes(phase) ||
        d.metadata.annotations?.[PINNED_ANNOTATION] === "true";
      if (kept) for (const id of artifactsOf(d)) keep.add(id);
    });
  }
  for (const b of builds) if (b.status?.artifactId !== undefined) keep.add(b.status.artifactId);
  return keep;
}
