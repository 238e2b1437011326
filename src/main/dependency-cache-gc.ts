/**
 * The server's dependency cache collection: every `intervalMs` it removes the build caches under
 * `cacheRoot` that no build has used for `maxIdleMs` (default seven days) and no running build
 * holds in `leases` (the builder's). See docs/adr/0008-build-lifecycle.md.
 */
import {
  type CollectDependencyCachesOptions,
  type CollectDependencyCachesResult,
  collectDependencyCaches,
} from "../build/index.js";
import { type PeriodicOptions, startPeriodic } from "./periodic.js";

/** Options of {@link startDependencyCacheGc}. */
export interface DependencyCacheGcOptions
  extends CollectDependencyCachesOptions,
    PeriodicOptions<CollectDependencyCachesResult> {}

/** Runs collectDependencyCaches every `intervalMs` (default 10 minutes); returns a stop function. */
export function startDependencyCacheGc(options: DependencyCacheGcOptions): () => void {
  return startPeriodic(() => collectDependencyCaches(options), options);
}
