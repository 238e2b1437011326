/**
 * The server's artifact garbage collection: every `intervalMs` it reads all Deployments, Builds
 * and Apps from the store, keeps what `retainedArtifacts` says (each app's last 10 deployments,
 * active, unfinished and pinned ones, running builds) and removes the rest from the artifact store.
 */
import { type CollectArtifactsResult, collectArtifacts } from "../build/index.js";
import { type App, type Build, type Deployment, retainedArtifacts } from "../resources/index.js";
import type { Store } from "../store/index.js";
import { type PeriodicOptions, startPeriodic } from "./periodic.js";

/** Options of {@link collectUnusedArtifacts}. */
export interface ArtifactGcOptions {
  store: Store;
  artifactsRoot: string;
  /** See CollectArtifactsOptions.graceMs; default one hour. */
  graceMs?: number;
  /** Deployments kept per app; default 10. */
  perApp?: number;
  now?: () => Date;
}

async function listAll<T extends App | Build | Deployment>(store: Store, kind: T["kind"]): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await store.list<T>(kind, { limit: 500, ...(next === undefined ? {} : { continue: next }) });
    items.push(...page.items);
    next = page.continue;
  } while (next !== undefined);
  return items;
}

/** One collection over the whole store. */
export async function collectUnusedArtifacts(options: ArtifactGcOptions): Promise<CollectArtifactsResult> {
  // Builds first: a build that finishes between the reads is then seen either as a Build or on
  // its Deployment, never on neither.
  const builds = await listAll<Build>(options.store, "Build");
  const deployments = await listAll<Deployment>(options.store, "Deployment");
  const apps = await listAll<App>(options.store, "App");
  const active = new Set(
    apps.flatMap((a) =>
      a.status?.activeDeployment === undefined
        ? []
        : [`${a.metadata.namespace ?? ""}/${a.status.activeDeployment}`],
    ),
  );
  const keep = retainedArtifacts(deployments, builds, {
    active,
    ...(options.perApp === undefined ? {} : { perApp: options.perApp }),
  });
  return collectArtifacts({
    artifactsRoot: options.artifactsRoot,
    keep,
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

/** Runs {@link collectUnusedArtifacts} every `intervalMs` (default 10 minutes); returns a stop function. */
export function startArtifactGc(
  options: ArtifactGcOptions & PeriodicOptions<CollectArtifactsResult>,
): () => void {
  return startPeriodic(() => collectUnusedArtifacts(options), options);
}
