/**
 * Packs a local folder into a gzip'd tarball for upload (the CLI's `--source DIR`), and names an
 * upload by its content.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { create } from "tar";
import { type IgnoreRule, isIgnored, parseIgnoreRules } from "./ignore-rules.js";

/** Options of `packSource`. */
export interface PackSourceOptions {
  /** Leave out more entries (called with the POSIX path relative to `dir`). */
  ignore?: (relPath: string, isDir: boolean) => boolean;
}

/** The ignore file read at the root of a packed folder. */
export const IGNORE_FILE = ".slipwayignore";

/**
 * A gzip'd tar of the files, folders and symbolic links under `dir`, leaving out `.git` and
 * `node_modules` at every depth, what `.slipwayignore` at the root names (see
 * `parseIgnoreRules`) and what `options.ignore` rejects. Other entry kinds (sockets, fifos,
 * devices) are left out. Symbolic links are stored, never followed; a hard-linked file is stored
 * once per name, as a plain file. The output is deterministic for a
 * given tree: entries sorted byte-wise, mtimes zeroed, owners left out (tar's `portable`), so
 * `sourceUploadDigest` names the tree. Held in memory and read
 * synchronously (a CLI's job): meant for source trees, not data sets.
 */
export async function packSource(dir: string, options: PackSourceOptions = {}): Promise<Buffer> {
  const rules = await readIgnoreRules(dir);
  const entries: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(rel === "" ? dir : join(dir, rel))).sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      const isDir = info.isDirectory();
      if (!isDir && !info.isFile() && !info.isSymbolicLink()) continue;
      if (isIgnored(rules, path, isDir) || options.ignore?.(path, isDir) === true) continue;
      entries.push(path);
      if (isDir) await walk(path);
    }
  };
  await walk("");
  // tar refuses an empty list; an empty archive is two zero blocks.
  if (entries.length === 0) return gzipSync(Buffer.alloc(1024));
  const pack = create(
    {
      gzip: true,
      cwd: dir,
      portable: true,
      noDirRecurse: true,
      mtime: new Date(0),
      linkCache: new ForgetfulMap(),
      // The asynchronous packer waits for a hard link's first name in its link cache, which
      // remembers nothing here; the synchronous one does not wait. Packing runs in the CLI.
      sync: true,
    },
    entries,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readIgnoreRules(dir: string): Promise<IgnoreRule[]> {
  try {
    return parseIgnoreRules(await readFile(join(dir, IGNORE_FILE), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * tar stores the second name of a hard-linked file as a hard link entry, which `unpackSource`
 * refuses; a link cache that remembers nothing makes it store the content again.
 */
class ForgetfulMap<K, V> extends Map<K, V> {
  override set(_key: K, _value: V): this {
    return this;
  }
}

/** The content address of an upload: the hex sha256 of its bytes. */
export function sourceUploadDigest(tarball: Uint8Array): string {
  return createHash("sha256").update(tarball).digest("hex");
}
