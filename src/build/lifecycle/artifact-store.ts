/**
 * The artifact store on disk: `<artifactsRoot>/<id>/app/` (the tree an instance runs) and
 * `<id>/metadata.json`. An artifact is published by renaming a complete `<id>.tmp` folder, so a
 * reader sees either no artifact or a whole one.
 */
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildpackGroup } from "../../detect/index.js";

/** Where an artifact's app tree is mounted in a build and expected by instances. */
export const APP_MOUNT = "/workspace";

/** The content of an artifact's metadata.json. */
export interface ArtifactMetadata {
  id: string;
  group: BuildpackGroup;
  /** The detected start command (a shell line; `$PORT` expanded at run time); absent for static sites. */
  runCommand?: string;
  /** The port the detected service listens on; absent for workers and static sites. */
  httpPort?: number;
  /** Working directory of the run command; the app tree must be mounted here (absolute venv paths). */
  workdir: string;
  /**
   * Run-time env that comes with the artifact: GENERAL RUN_AND_BUILD_TIME envs (they are part of
   * the id) and what the builder adds (PATH for a venv). Never a SECRET value, never RUN_TIME envs.
   */
  env: Record<string, string>;
  stackVersion: string;
  /** Apparent size of the app tree in bytes. */
  sizeBytes: number;
  /** ISO 8601 time the artifact was exported. */
  createdAt: string;
}

/** A published artifact. */
export interface StoredArtifact {
  dir: string;
  appDir: string;
  metadata: ArtifactMetadata;
}

/**
 * The published artifact `id` under `root`, or undefined when there is none (a `<id>.tmp` does not
 * count). Throws when metadata.json exists but cannot be read or is not for this id.
 */
export async function readArtifact(root: string, id: string): Promise<StoredArtifact | undefined> {
  const dir = join(root, id);
  const text = await readFile(join(dir, "metadata.json"), "utf8").catch((err: unknown) => {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const metadata = JSON.parse(text) as ArtifactMetadata;
  if (metadata.id !== id)
    throw new Error(`${dir}/metadata.json: id is ${String(metadata.id)}, expected ${id}`);
  return { dir, appDir: join(dir, "app"), metadata };
}

/**
 * Publishes `tree` (moved, not copied, when on the same file system) with `metadata` as artifact
 * `metadata.id` under `root`, with `sizeBytes` filled in. When another build published the same id
 * first, that one is kept and returned. On failure no `<id>.tmp` is left.
 */
export async function publishArtifact(
  root: string,
  tree: string,
  metadata: Omit<ArtifactMetadata, "sizeBytes">,
): Promise<StoredArtifact> {
  const dir = join(root, metadata.id);
  const tmp = `${dir}.tmp`;
  await mkdir(root, { recursive: true });
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp);
    await moveTree(tree, join(tmp, "app"));
    const full: ArtifactMetadata = { ...metadata, sizeBytes: await treeSize(join(tmp, "app")) };
    await writeFile(join(tmp, "metadata.json"), `${JSON.stringify(full, null, 2)}\n`);
    const existing = await readArtifact(root, metadata.id);
    if (existing !== undefined) {
      await rm(tmp, { recursive: true, force: true });
      return existing;
    }
    await rename(tmp, dir);
    return { dir, appDir: join(dir, "app"), metadata: full };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function moveTree(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if (!(err instanceof Error && "code" in err && err.code === "EXDEV")) throw err;
    await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await rm(from, { recursive: true, force: true });
  }
}

/** Sum of the sizes of the files and links below `dir` (not following links). */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else total += (await lstat(path)).size;
  }
  return total;
}
