/**
 * The dependency cache of the restore phase: one folder per builder and lockfile hash, mounted at
 * `/cache` in the build sandbox, with each package manager pointed into it by env.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildpackGroup } from "../../detect/index.js";

/** The lockfiles that key each builder's cache, in the order they are hashed. */
export const LOCKFILES: Readonly<Record<BuildpackGroup, readonly string[]>> = {
  nodejs: ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"],
  python: ["requirements.txt", "Pipfile.lock", "poetry.lock", "uv.lock"],
  go: ["go.sum"],
  static: [],
  dockerfile: [],
};

/** Where the cache is mounted inside the build sandbox. */
export const CACHE_MOUNT = "/cache";

/** Env that points npm, pip and Go at the mounted cache. */
export const CACHE_ENV: Readonly<Record<string, string>> = {
  npm_config_cache: `${CACHE_MOUNT}/npm`,
  PIP_CACHE_DIR: `${CACHE_MOUNT}/pip`,
  GOMODCACHE: `${CACHE_MOUNT}/gomod`,
  GOCACHE: `${CACHE_MOUNT}/gobuild`,
};

/**
 * The cache key of a source: the sha256 (first 32 hex digits) over the names and contents of the
 * builder's lockfiles present in `sourceDir`, or `no-lockfile` when there is none. Reads only
 * those files; a missing one is skipped, any other read error throws.
 */
export async function lockfileHash(sourceDir: string, group: BuildpackGroup): Promise<string> {
  const hash = createHash("sha256");
  let found = false;
  for (const name of LOCKFILES[group]) {
    const content = await readFile(join(sourceDir, name)).catch((err: unknown) => {
      if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
      throw err;
    });
    if (content === undefined) continue;
    found = true;
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return found ? hash.digest("hex").slice(0, 32) : "no-lockfile";
}

/** The host folder of a source's cache: `<cacheRoot>/<group>/<lockfile hash>`. */
export function cacheDir(cacheRoot: string, group: BuildpackGroup, key: string): string {
  return join(cacheRoot, group, key);
}
