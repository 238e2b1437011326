/**
 * Garbage collection of the artifact store: removes published artifacts that are not retained
 * and are older than a grace period (an artifact published a moment ago may belong to a build
 * whose status is not written yet), plus `<id>.tmp*` leftovers of builds that crashed.
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { readArtifact, treeSize } from "./artifact-store.js";

/** Options of {@link collectArtifacts}. */
export interface CollectArtifactsOptions {
  artifactsRoot: string;
  /** Ids that must stay. */
  keep: ReadonlySet<string>;
  /** Artifacts younger than this stay whatever `keep` says; default one hour. */
  graceMs?: number;
  /** Default the system clock. */
  now?: () => Date;
}

/** What a collection did. */
export interface CollectArtifactsResult {
  removed: string[];
  freedBytes: number;
  kept: number;
}

const ID = /^[0-9a-f]{64}$/;

/** Removes what is neither kept nor young; never touches entries that are not artifacts. */
export async function collectArtifacts(options: CollectArtifactsOptions): Promise<CollectArtifactsResult> {
  const graceMs = options.graceMs ?? 3_600_000;
  const now = (options.now ?? (() => new Date()))().getTime();
  const names = await readdir(options.artifactsRoot).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const result: CollectArtifactsResult = { removed: [], freedBytes: 0, kept: 0 };
  for (const name of names.sort()) {
    const dir = join(options.artifactsRoot, name);
    // `<id>.tmp` (older builds) or `<id>.tmp-<pid>-<random>`: a publish that never finished.
    const tmp = /^[0-9a-f]{64}\.tmp(-[0-9]+-[0-9a-f]+)?$/.test(name);
    if (!tmp && !ID.test(name)) continue;
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined) continue;
    if (now - info.mtimeMs < graceMs) {
      if (!tmp) result.kept++;
      continue;
    }
    if (!tmp) {
      const artifact = await readArtifact(options.artifactsRoot, name).catch(() => undefined);
      if (options.keep.has(name)) {
        result.kept++;
        continue;
      }
      result.freedBytes += artifact?.metadata.sizeBytes ?? (await treeSize(dir).catch(() => 0));
    }
    await rm(dir, { recursive: true, force: true });
    if (!tmp) result.removed.push(name);
  }
  return result;
}
