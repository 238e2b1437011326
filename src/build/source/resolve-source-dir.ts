/**
 * A component's `source_dir` inside a fetched tree.
 */
import { realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import { normalizeRelativePath } from "./relative-path.js";
import { isInside } from "./tree-links.js";

/**
 * The absolute, symlink-free path of `sourceDir` inside `root`. `sourceDir` is relative to the
 * root as in the app spec; a leading `/` is allowed (DO writes `/api`), and undefined, `""`,
 * `"/"` and `"."` mean the root itself. Throws a `failed_precondition` SlipwayError when the
 * folder does not exist, is not a folder, or lies outside the root (by `..` or through a
 * symbolic link).
 */
export async function resolveSourceDir(root: string, sourceDir: string | undefined): Promise<string> {
  const realRoot = await realpath(root);
  const raw = (sourceDir ?? "").replace(/^\/+/, "");
  const quoted = JSON.stringify(sourceDir ?? "");
  const fail = (what: string) =>
    new SlipwayError("failed_precondition", `source_dir ${quoted} ${what}`, {
      details: [{ path: "source_dir", message: what }],
    });
  let rel = "";
  if (raw !== "" && raw !== ".") {
    const normalized = normalizeRelativePath(raw);
    if (!normalized.ok) {
      if (normalized.problem !== "empty")
        throw fail(`is not a folder inside the source: ${normalized.message}`);
    } else {
      rel = normalized.path;
    }
  }
  let real: string;
  try {
    real = await realpath(join(realRoot, rel));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw fail("does not exist in the source; check the component's source_dir and the branch");
    }
    throw err;
  }
  if (!isInside(realRoot, real)) throw fail("leads outside the source tree through a symbolic link");
  if (!(await stat(real)).isDirectory()) throw fail("is a file, not a folder");
  return real;
}
