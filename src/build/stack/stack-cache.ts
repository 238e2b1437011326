/**
 * An optional cache of built stacks as zstd tarballs (`<cacheDir>/<name>.tar.zst`), so a machine
 * or CI run that keeps the folder can skip debootstrap and apt. A build never depends on it:
 * a missing, broken or unwritable cache only costs a full build.
 */
import { access, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { readStackInfo } from "./read-stack-info.js";
import type { StackInfo } from "./stack-info.js";
import { removeStackTree, type StepContext, step } from "./stack-steps.js";

/** The tarball of stack `name` in `cacheDir`. */
export function cacheFile(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.tar.zst`);
}

/**
 * Unpacks the cached tarball of `name` into `dir` (which must not exist). Returns the stack's
 * info, or undefined (and leaves no `dir`) when there is no usable tarball for this version.
 */
export async function restoreFromCache(
  ctx: StepContext,
  cacheDir: string,
  name: string,
  dir: string,
): Promise<StackInfo | undefined> {
  const file = cacheFile(cacheDir, name);
  if (!(await exists(file))) return undefined;
  try {
    await mkdir(dir);
    await step(ctx, "restore from cache", "tar", ["--zstd", "-xpf", file, "--numeric-owner", "-C", dir]);
    const info = await readStackInfo(dir);
    if (info?.name === name) return info;
    ctx.log(`stack: ${file} does not hold stack ${name}; building instead`);
  } catch (err) {
    ctx.log(
      `stack: cannot use ${file}; building instead: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  await removeStackTree(ctx, dir);
  return undefined;
}

/** Writes the tarball of the complete stack folder `dir`; failures are logged, never thrown. */
export async function writeCache(
  ctx: StepContext,
  cacheDir: string,
  name: string,
  dir: string,
): Promise<void> {
  const file = cacheFile(cacheDir, name);
  const part = `${file}.part`;
  try {
    await mkdir(cacheDir, { recursive: true });
    await step(ctx, "write cache", "tar", ["--zstd", "-cpf", part, "--numeric-owner", "-C", dir, "."]);
    await rename(part, file);
  } catch (err) {
    ctx.log(`stack: could not write ${file} (the stack is built; only the cache is missing): ${String(err)}`);
    await rm(part, { force: true }).catch(() => {});
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
