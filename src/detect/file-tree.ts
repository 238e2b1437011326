/**
 * A read-only view of a source tree, the only thing detection reads. Two implementations: an
 * in-memory tree (inline files, tests) and a directory on disk that never leaves its root.
 * Paths are POSIX-style and relative to the tree's root (`""` or `"."` is the root); a path that
 * climbs out of the root (`../x`) is treated as absent. `node_modules` and `.git` are hidden in
 * both implementations, so the same files give the same detection wherever they come from.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join, sep } from "node:path";

/** The largest file `read` returns, in bytes (1 MiB); larger files read as undefined. */
export const MAX_READ_BYTES = 1024 * 1024;

/** Names that are never listed nor read: dependencies and version-control metadata. */
export const HIDDEN_NAMES: readonly string[] = ["node_modules", ".git"];

/** One entry of a directory listing. */
export interface TreeEntry {
  name: string;
  type: "file" | "dir";
}

/** A read-only file tree. */
export interface FileTree {
  /** The entries of a directory, sorted by name; `[]` when it is missing or not a directory. */
  list(dir: string): TreeEntry[];
  /**
   * A file's text (UTF-8, invalid bytes replaced), or undefined when it is missing, not a file,
   * or larger than the cap (`MAX_READ_BYTES` unless the tree says otherwise).
   */
  read(path: string): string | undefined;
  /** Whether a file or directory exists at the path. */
  exists(path: string): boolean;
}

/**
 * Splits a relative path into its segments, resolving `.` and `..`; undefined when the path climbs
 * out of the root or names a hidden entry (`node_modules`, `.git`). A leading `/` is ignored, as in
 * an app spec's `source_dir`.
 */
export function pathSegments(path: string): string[] | undefined {
  const out: string[] = [];
  for (const part of path.split(/[/\\]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.pop() === undefined) return undefined;
      continue;
    }
    if (HIDDEN_NAMES.includes(part)) return undefined;
    out.push(part);
  }
  return out;
}

const byName = (a: TreeEntry, b: TreeEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * A tree held in memory. Keys of `files` are file paths (`"api/package.json"`); directories are
 * implied by them. The object is copied, so later changes to it are not seen.
 */
export function memoryTree(files: Readonly<Record<string, string>>): FileTree {
  const contents = new Map<string, string>();
  const dirs = new Map<string, Map<string, TreeEntry["type"]>>([["", new Map()]]);
  for (const [path, text] of Object.entries(files)) {
    const parts = pathSegments(path);
    if (parts === undefined || parts.length === 0) continue;
    contents.set(parts.join("/"), text);
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const children = dirs.get(parent) ?? new Map<string, TreeEntry["type"]>();
      dirs.set(parent, children);
      children.set(parts[i] ?? "", i === parts.length - 1 ? "file" : "dir");
    }
  }
  const key = (path: string): string | undefined => pathSegments(path)?.join("/");
  return {
    list: (dir) => {
      const children = dirs.get(key(dir) ?? "\0");
      if (children === undefined) return [];
      return [...children].map(([name, type]) => ({ name, type })).sort(byName);
    },
    read: (path) => {
      const text = contents.get(key(path) ?? "\0");
      return text !== undefined && Buffer.byteLength(text) <= MAX_READ_BYTES ? text : undefined;
    },
    exists: (path) => {
      const k = key(path);
      return k !== undefined && (contents.has(k) || dirs.has(k));
    },
  };
}

/** Options of `directoryTree`. */
export interface DirectoryTreeOptions {
  /** The largest file `read` returns, in bytes (default `MAX_READ_BYTES`). */
  maxReadBytes?: number;
}

const ABSENT = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EISDIR"]);

function isAbsent(error: unknown): boolean {
  return (
    error instanceof Error && "code" in error && typeof error.code === "string" && ABSENT.has(error.code)
  );
}

/**
 * A directory on disk, read-only. Symbolic links are followed only while they stay inside the
 * root: a link that resolves outside it (or dangles) is treated as absent and is not listed.
 * Missing paths read as absent; other I/O errors (permissions) throw. Throws at once when `root`
 * is not a directory.
 */
export function directoryTree(root: string, options: DirectoryTreeOptions = {}): FileTree {
  const maxBytes = options.maxReadBytes ?? MAX_READ_BYTES;
  const realRoot = realpathSync(root);
  if (!statSync(realRoot).isDirectory()) throw new Error(`${root} is not a directory`);
  // The real path of `path` when it exists and stays inside the root, else undefined.
  const resolve = (path: string): string | undefined => {
    const parts = pathSegments(path);
    if (parts === undefined) return undefined;
    try {
      const real = realpathSync(join(realRoot, ...parts));
      return real === realRoot || real.startsWith(realRoot + sep) ? real : undefined;
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  };
  const typeOf = (real: string): TreeEntry["type"] | undefined => {
    const stats = statSync(real);
    return stats.isFile() ? "file" : stats.isDirectory() ? "dir" : undefined;
  };
  return {
    list: (dir) => {
      const real = resolve(dir);
      if (real === undefined || typeOf(real) !== "dir") return [];
      const out: TreeEntry[] = [];
      for (const name of readdirSync(real)) {
        if (HIDDEN_NAMES.includes(name)) continue;
        const target = resolve(`${dir}/${name}`);
        const type = target === undefined ? undefined : typeOf(target);
        if (type !== undefined) out.push({ name, type });
      }
      return out.sort(byName);
    },
    read: (path) => {
      const real = resolve(path);
      return real === undefined ? undefined : readCapped(real, maxBytes);
    },
    exists: (path) => resolve(path) !== undefined,
  };
}

/**
 * Reads a regular file of at most `maxBytes`, never through a symbolic link; undefined otherwise.
 * O_NONBLOCK keeps a FIFO planted in the source from hanging the open.
 */
function readCapped(real: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const n = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return buffer.subarray(0, offset).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * The part of `tree` under `dir`, as a tree of its own; paths cannot climb above `dir`. Returns
 * undefined when `dir` climbs out of the tree or is not a directory in it.
 */
export function subTree(tree: FileTree, dir: string): FileTree | undefined {
  const base = pathSegments(dir);
  if (base === undefined || (base.length > 0 && !isDir(tree, base))) return undefined;
  if (base.length === 0) return tree;
  // "\0" never names a file, so a path climbing out of the subtree reads as absent.
  const inner = (path: string): string => {
    const parts = pathSegments(path);
    return parts === undefined ? "\0" : [...base, ...parts].join("/");
  };
  return {
    list: (path) => tree.list(inner(path)),
    read: (path) => tree.read(inner(path)),
    exists: (path) => tree.exists(inner(path)),
  };
}

function isDir(tree: FileTree, parts: string[]): boolean {
  const name = parts[parts.length - 1];
  return tree.list(parts.slice(0, -1).join("/")).some((e) => e.name === name && e.type === "dir");
}
