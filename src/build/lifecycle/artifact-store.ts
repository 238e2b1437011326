/**
 * The artifact store on disk. Two formats, told apart by metadata.json's `format`:
 * - `app` (the default; absent in artifacts written before images existed): `<id>/app/`, the
 *   tree an instance runs on the stack;
 * - `image`: `<id>/rootfs/`, a whole root file system unpacked from an OCI image, with the
 *   image's run config in the metadata (see src/build/image).
 * An artifact is published by renaming a complete `<id>.tmp` folder, so a reader sees either no
 * artifact or a whole one.
 */
import { randomBytes } from "node:crypto";
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildpackGroup } from "../../detect/index.js";

/** Where an artifact's app tree is mounted in a build and expected by instances. */
export const APP_MOUNT = "/workspace";

/** The content of an app-format artifact's metadata.json. */
export interface ArtifactMetadata {
  /** Absent in artifacts written before the image format existed; publishArtifact writes `app`. */
  format?: "app";
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

/** An image artifact's run config: OCI image-spec `config` fields an instance needs. */
export interface ImageArtifactConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  /** Default `/`. */
  workingDir: string;
  /** `""` for root. */
  user: string;
  /** `8080/tcp`-style, sorted. */
  exposedPorts: string[];
}

/** The content of an image-format artifact's metadata.json. */
export interface ImageArtifactMetadata extends ImageArtifactConfig {
  format: "image";
  id: string;
  /** How the image was made: pulled from a registry or built from a Dockerfile. */
  origin: "pull" | "dockerfile";
  /**
   * For pulls the reference as the spec names it (`docker.io/library/node:20`); for Dockerfile
   * builds the Dockerfile path relative to the source root.
   */
  source: string;
  /** The manifest digest: the registry's for pulls, the built image's for Dockerfile builds. */
  imageDigest: string;
  /** Apparent size of the root file system in bytes. */
  sizeBytes: number;
  /** ISO 8601 time the artifact was exported. */
  createdAt: string;
}

/** Either artifact format's metadata; switch on `format` (absent means `app`). */
export type AnyArtifactMetadata = ArtifactMetadata | ImageArtifactMetadata;

/** A published app-format artifact. */
export interface StoredArtifact {
  dir: string;
  appDir: string;
  metadata: ArtifactMetadata;
}

/** A published image-format artifact. */
export interface StoredImageArtifact {
  dir: string;
  rootfsDir: string;
  metadata: ImageArtifactMetadata;
}

/** Either published artifact. */
export type AnyStoredArtifact = StoredArtifact | StoredImageArtifact;

const isImage = (m: AnyArtifactMetadata): m is ImageArtifactMetadata => m.format === "image";

/**
 * The published artifact `id` under `root` in either format, or undefined when there is none.
 * Throws when metadata.json exists but cannot be read or is not for this id.
 */
export async function readAnyArtifact(root: string, id: string): Promise<AnyStoredArtifact | undefined> {
  const dir = join(root, id);
  const text = await readFile(join(dir, "metadata.json"), "utf8").catch((err: unknown) => {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const metadata = JSON.parse(text) as AnyArtifactMetadata;
  if (metadata.id !== id)
    throw new Error(`${dir}/metadata.json: id is ${String(metadata.id)}, expected ${id}`);
  return isImage(metadata)
    ? { dir, rootfsDir: join(dir, "rootfs"), metadata }
    : { dir, appDir: join(dir, "app"), metadata };
}

/**
 * The published app-format artifact `id` under `root`, or undefined when there is none (a
 * `<id>.tmp` does not count). Throws when metadata.json exists but cannot be read, is not for
 * this id, or is an image artifact.
 */
export async function readArtifact(root: string, id: string): Promise<StoredArtifact | undefined> {
  const found = await readAnyArtifact(root, id);
  if (found === undefined || "appDir" in found) return found;
  throw new Error(`${found.dir}: artifact ${id} is an image artifact, not an app tree`);
}

/**
 * The published image-format artifact `id` under `root`, or undefined when there is none.
 * Throws when metadata.json cannot be read, is not for this id, or is an app artifact.
 */
export async function readImageArtifact(root: string, id: string): Promise<StoredImageArtifact | undefined> {
  const found = await readAnyArtifact(root, id);
  if (found === undefined || "rootfsDir" in found) return found;
  throw new Error(`${found.dir}: artifact ${id} is an app artifact, not an image`);
}

/**
 * Publishes `tree` (moved, not copied, when on the same file system) with `metadata` as artifact
 * `metadata.id` under `root`, with `sizeBytes` filled in. When another build published the same id
 * first, that one is kept and returned. On failure no `<id>.tmp-*` folder is left.
 */
export async function publishArtifact(
  root: string,
  tree: string,
  metadata: Omit<ArtifactMetadata, "sizeBytes" | "format">,
): Promise<StoredArtifact> {
  const full = await publish(root, metadata.id, tree, "app", (sizeBytes) => ({
    format: "app",
    ...metadata,
    sizeBytes,
  }));
  if ("appDir" in full) return full;
  throw new Error(`${full.dir}: artifact ${metadata.id} is an image artifact, not an app tree`);
}

/**
 * Publishes the root file system `rootfs` (moved when on the same file system) as image artifact
 * `metadata.id` under `root`, like {@link publishArtifact}: atomic, first publisher wins.
 */
export async function publishImageArtifact(
  root: string,
  rootfs: string,
  metadata: Omit<ImageArtifactMetadata, "sizeBytes" | "format">,
): Promise<StoredImageArtifact> {
  const full = await publish(root, metadata.id, rootfs, "rootfs", (sizeBytes) => ({
    format: "image",
    ...metadata,
    sizeBytes,
  }));
  if ("rootfsDir" in full) return full;
  throw new Error(`${full.dir}: artifact ${metadata.id} is an app artifact, not an image`);
}

async function publish(
  root: string,
  id: string,
  tree: string,
  sub: "app" | "rootfs",
  complete: (sizeBytes: number) => AnyArtifactMetadata,
): Promise<AnyStoredArtifact> {
  const dir = join(root, id);
  // Each publish has its own temporary folder: two builds of the same id (two components of one
  // source, or two deployments at once) may publish at the same moment.
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(root, { recursive: true });
  try {
    await mkdir(tmp);
    await moveTree(tree, join(tmp, sub));
    const full = complete(await treeSize(join(tmp, sub)));
    await writeFile(join(tmp, "metadata.json"), `${JSON.stringify(full, null, 2)}\n`);
    const existing = await readAnyArtifact(root, id);
    if (existing !== undefined) {
      await rm(tmp, { recursive: true, force: true });
      return existing;
    }
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another publish of the same id won the rename: keep its artifact.
      const code = (err as NodeJS.ErrnoException).code;
      const winner = code === "ENOTEMPTY" || code === "EEXIST" ? await readAnyArtifact(root, id) : undefined;
      if (winner === undefined) throw err;
      await rm(tmp, { recursive: true, force: true });
      return winner;
    }
    return isImage(full)
      ? { dir, rootfsDir: join(dir, "rootfs"), metadata: full }
      : { dir, appDir: join(dir, "app"), metadata: full };
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
