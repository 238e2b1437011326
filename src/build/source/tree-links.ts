/**
 * Symbolic links in a fetched tree (git checkout, upload, inline files) must stay inside it:
 * host-side code (detection, digest, copy) reads the tree, and a link to `/etc/passwd` would let
 * a source leak or overwrite host files.
 */
import { lstat, readdir, readlink, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { SlipwayError } from "../../resources/index.js";

/** A symbolic link that points outside its tree. */
export interface EscapingLink {
  /** The link's path relative to the root, POSIX separators. */
  path: string;
  /** The link's target as stored. */
  target: string;
}

/** True when `path` (absolute) is `root` or lies below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Every symbolic link under `root` whose target lies outside `root`: an absolute target, a
 * relative one that climbs out, or one that resolves outside through other links (`a -> .`,
 * `b -> a/..`). A dangling link is judged by its text. `.git` folders are not walked (git keeps
 * no links there). Links are never followed while walking.
 */
export async function findEscapingLinks(root: string): Promise<EscapingLink[]> {
  const realRoot = await realpath(root);
  const found: EscapingLink[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(realRoot, rel))).sort();
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const full = join(realRoot, path);
      const info = await lstat(full);
      if (info.isDirectory()) {
        if (name !== ".git") await walk(path);
      } else if (info.isSymbolicLink()) {
        const target = await readlink(full);
        if (!(await linkStaysInside(realRoot, full, target))) found.push({ path, target });
      }
    }
  };
  await walk("");
  return found;
}

async function linkStaysInside(realRoot: string, full: string, target: string): Promise<boolean> {
  if (isAbsolute(target) || !isInside(realRoot, resolve(dirname(full), target))) return false;
  try {
    return isInside(realRoot, await realpath(full));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return true;
    return false; // ELOOP and the like: a link cycle is no safer than an escape.
  }
}

/**
 * Throws a `failed_precondition` SlipwayError naming every symbolic link under `root` that
 * points outside it (see `findEscapingLinks`); `label` names the tree in the message, e.g. the
 * repository URL. Returns when there is none.
 */
export async function checkTreeLinks(root: string, label = "the source"): Promise<void> {
  const links = await findEscapingLinks(root);
  if (links.length === 0) return;
  const list = links.map((l) => `"${l.path}" -> "${l.target}"`).join(", ");
  throw new SlipwayError(
    "failed_precondition",
    `${label} has symbolic links that point outside the source tree: ${list}. Remove them or make them relative links to files inside the repository.`,
    {
      details: links.map((l) => ({
        path: l.path,
        message: `points to "${l.target}", outside the source tree`,
      })),
    },
  );
}
