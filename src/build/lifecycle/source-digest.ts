/**
 * The source digest: one sha256 over a directory tree, the first input of an artifact's identity.
 * It covers every entry's relative path, kind and permission bits, file contents and symbolic
 * link targets, in sorted order; `.git` and `node_modules` are left out at every depth, as they
 * are by detection (see HIDDEN_NAMES in src/detect), so the same checkout gives the same digest
 * wherever it lies and whatever was installed into it.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { HIDDEN_NAMES } from "../../detect/index.js";

/**
 * The hex sha256 digest of the tree at `root`. Throws when `root` is not a directory or an entry
 * cannot be read. Entries other than files, directories and symbolic links (sockets, fifos) are
 * recorded by kind only. Timestamps and owners do not count.
 */
export async function sourceDigest(root: string): Promise<string> {
  const info = await lstat(root);
  if (!info.isDirectory()) throw new Error(`sourceDigest: ${root} is not a directory`);
  const hash = createHash("sha256");
  hash.update("slipway-source-digest-v1\n");
  await digestDir(hash, root, "");
  return hash.digest("hex");
}

async function digestDir(hash: Hash, root: string, rel: string): Promise<void> {
  const names = (await readdir(join(root, rel)))
    .filter((n) => !HIDDEN_NAMES.includes(n))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const path = rel === "" ? name : `${rel}/${name}`;
    const full = join(root, path);
    const st = await lstat(full);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      hash.update(`${JSON.stringify(["d", path, mode])}\n`);
      await digestDir(hash, root, path);
    } else if (st.isFile()) {
      hash.update(`${JSON.stringify(["f", path, mode, st.size, await fileDigest(full)])}\n`);
    } else if (st.isSymbolicLink()) {
      hash.update(`${JSON.stringify(["l", path, await readlink(full)])}\n`);
    } else {
      hash.update(`${JSON.stringify(["o", path, mode])}\n`);
    }
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
