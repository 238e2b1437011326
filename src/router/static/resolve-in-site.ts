/**
 * The file system half of path safety: a path is served only when its real path (symlinks
 * resolved) is inside the site's real root, so a symlink that leaves the tree is never followed.
 */
import type { Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";

/** What a path names inside a site. */
export type SiteEntry =
  | { kind: "file"; path: string; stats: Stats }
  | { kind: "directory"; path: string }
  | { kind: "missing" };

/**
 * Resolves `segments` (from `parseRequestPath`) under `realRoot`, which must itself be a real
 * path (see `realpath`). Missing files, paths through a file (ENOTDIR), symlink loops, symlinks
 * resolving outside `realRoot`, and anything that is neither a file nor a directory are
 * `missing`; other I/O errors throw.
 */
export async function resolveInSite(realRoot: string, segments: readonly string[]): Promise<SiteEntry> {
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch (err) {
    if (isMissing(err)) return { kind: "missing" };
    throw err;
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`))
    return { kind: "missing" };
  const stats = await stat(real).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (stats?.isFile()) return { kind: "file", path: real, stats };
  if (stats?.isDirectory()) return { kind: "directory", path: real };
  return { kind: "missing" };
}

function isMissing(err: unknown): boolean {
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  return code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG";
}
