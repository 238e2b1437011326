/**
 * The dependency cache of the restore phase: one folder per builder and lockfile hash, mounted at
 * `/cache` in the build sandbox, with each package manager pointed into it by env. Each use
 * stamps the folder; a collection removes folders idle for a week that no running build holds.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants, renameSync } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
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
 * The cache key of a source: the sha256 (first 32 hex digits) over `scope` (when given) and the
 * names and contents of the builder's lockfiles present in `sourceDir`; `no-lockfile` when there
 * is neither. Builds with different scopes never share a cache: the server scopes by app, so one
 * app's build cannot leave packages in the cache another app's build restores. Reads only those
 * files; a missing one is skipped, any other read error throws.
 */
export async function lockfileHash(
  sourceDir: string,
  group: BuildpackGroup,
  scope?: string,
): Promise<string> {
  const hash = createHash("sha256");
  let found = false;
  if (scope !== undefined) {
    found = true;
    hash.update(`scope\0${scope.length}\0${scope}`);
  }
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

/**
 * The file whose mtime is a cache folder's last use: a dotfile at the folder's root, beside the
 * package managers' subfolders (CACHE_ENV), so no package manager sees it.
 */
export const CACHE_STAMP = ".slipway-last-used";

/** A cache folder's name: what {@link lockfileHash} returns. */
const KEY = /^(?:[0-9a-f]{32}|no-lockfile)$/;
/** Prefix of a folder being removed, directly under the cache root. */
const TRASH = ".trash-";

/**
 * The cache folders running builds hold, shared by the builds and the collector so that a folder
 * in use is never removed. Holds count: a folder held twice stays held until both are released.
 * Paths are compared resolved (`/c/a/` and `/c/a` are one folder).
 */
export class DependencyCacheLeases {
  readonly #counts = new Map<string, number>();

  /** Holds `dir` and returns its release; calling the release again does nothing. */
  hold(dir: string): () => void {
    const path = resolve(dir);
    this.#counts.set(path, (this.#counts.get(path) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(path) ?? 1) - 1;
      if (left > 0) this.#counts.set(path, left);
      else this.#counts.delete(path);
    };
  }

  /** Whether some build holds `dir`. */
  isHeld(dir: string): boolean {
    return this.#counts.has(resolve(dir));
  }
}

/** Options of {@link takeDependencyCache}. */
export interface TakeDependencyCacheOptions {
  cacheRoot: string;
  group: BuildpackGroup;
  /** The lockfile hash ({@link lockfileHash}). */
  key: string;
  leases: DependencyCacheLeases;
  /** The time stamped as the last use; default the system clock. */
  now?: () => Date;
}

/**
 * Takes a build's cache folder: holds it in `leases` (before any I/O, so a collection that has
 * not yet looked at it keeps it), creates it when missing and sets its stamp's mtime to now.
 * Returns the folder and the release to call when the build ends. On an I/O failure the lease is
 * released and the error thrown.
 */
export async function takeDependencyCache(
  options: TakeDependencyCacheOptions,
): Promise<{ dir: string; release: () => void }> {
  const dir = cacheDir(options.cacheRoot, options.group, options.key);
  const release = options.leases.hold(dir);
  try {
    await mkdir(dir, { recursive: true });
    await touchStamp(dir, (options.now ?? (() => new Date()))());
    return { dir, release };
  } catch (err) {
    release();
    throw err;
  }
}

// The folder is writable from inside the build sandbox, and the server may run as root: never
// follow a link a build left at the stamp's path (O_NOFOLLOW), nor wait on a FIFO (O_NONBLOCK).
const STAMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

async function touchStamp(dir: string, at: Date): Promise<void> {
  const stamp = join(dir, CACHE_STAMP);
  // Anything but a plain file there (a link, a folder, a FIFO) is replaced rather than failing
  // every build that shares this cache.
  const file = await open(stamp, STAMP_FLAGS, 0o644).catch(async () => {
    await rm(stamp, { recursive: true, force: true });
    return open(stamp, STAMP_FLAGS, 0o644);
  });
  try {
    await file.utimes(at, at);
  } finally {
    await file.close();
  }
}

/** Options of {@link collectDependencyCaches}. */
export interface CollectDependencyCachesOptions {
  /** The root of `<group>/<key>/` folders; a missing root has nothing to collect. */
  cacheRoot: string;
  /** Folders held here stay however idle; default none is held. */
  leases?: DependencyCacheLeases;
  /** A folder unused for longer than this is removed; default seven days. */
  maxIdleMs?: number;
  /** Default the system clock. */
  now?: () => Date;
}

/** What a collection did. */
export interface CollectDependencyCachesResult {
  /** The removed caches as `<group>/<key>`. */
  removed: string[];
  /** Caches left in place: used recently, or held. */
  kept: number;
}

/**
 * Removes the cache folders (`<cacheRoot>/<group>/<key>`) whose last use (the stamp's mtime, else
 * the folder's own, for caches older than the stamp) is more than `maxIdleMs` ago and that no
 * lease holds, plus `.trash-*` folders a crashed collection left. A folder is first renamed to
 * `<cacheRoot>/.trash-<random>`, then removed, so a half-removed cache is never used. Touches
 * nothing else: dot-folders, names that are not cache keys, files and symlinks (never followed)
 * stay. A folder that vanishes meanwhile is skipped; other I/O errors throw.
 */
export async function collectDependencyCaches(
  options: CollectDependencyCachesOptions,
): Promise<CollectDependencyCachesResult> {
  const maxIdleMs = options.maxIdleMs ?? 7 * 24 * 3_600_000;
  const now = (options.now ?? (() => new Date()))().getTime();
  const root = options.cacheRoot;
  const result: CollectDependencyCachesResult = { removed: [], kept: 0 };
  for (const group of await folders(root)) {
    if (group.startsWith(TRASH)) await rm(join(root, group), { recursive: true, force: true });
    if (group.startsWith(".")) continue;
    for (const key of await folders(join(root, group))) {
      if (!KEY.test(key)) continue;
      const dir = join(root, group, key);
      const last = await lastUse(dir);
      if (last === undefined) continue;
      if (now - last <= maxIdleMs || options.leases?.isHeld(dir) === true) {
        result.kept++;
        continue;
      }
      const trash = moveToTrash(root, dir);
      if (trash === undefined) continue;
      await rm(trash, { recursive: true, force: true });
      result.removed.push(`${group}/${key}`);
    }
  }
  return result;
}

/** The names of the real folders (not symlinks) in `dir`, sorted; none when `dir` is gone. */
async function folders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return [];
    throw err;
  });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The last use of a cache folder in ms since the epoch, or undefined when it is not a folder (any more). */
async function lastUse(dir: string): Promise<number | undefined> {
  const info = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (info?.isDirectory() !== true) return undefined;
  const stamp = await lstat(join(dir, CACHE_STAMP)).catch(() => undefined);
  return stamp?.isFile() === true ? stamp.mtimeMs : info.mtimeMs;
}

/**
 * Renames `dir` to a fresh trash folder and returns it, or undefined when `dir` is gone.
 * Synchronous on purpose: the caller checks the lease just before, and a build takes its lease on
 * this same thread, so no build can take the folder between the check and the rename.
 */
function moveToTrash(root: string, dir: string): string | undefined {
  const trash = join(root, `${TRASH}${randomBytes(8).toString("hex")}`);
  try {
    renameSync(dir, trash);
    return trash;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
