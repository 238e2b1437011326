/**
 * Reading an image out of an OCI image layout (what `skopeo copy` and `buildah push` write with
 * the `oci:` transport): the manifest and the image configuration an instance needs to run it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ImageArtifactConfig } from "../lifecycle/index.js";

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
}

const REF_NAME = "org.opencontainers.image.ref.name";

async function readBlob(layout: string, digest: string): Promise<unknown> {
  const [algo, hex] = digest.split(":");
  if (algo === undefined || hex === undefined || !/^[a-z0-9]+$/.test(algo) || !/^[a-f0-9]+$/.test(hex))
    throw new Error(`${layout}: malformed digest ${JSON.stringify(digest)}`);
  return JSON.parse(await readFile(join(layout, "blobs", algo, hex), "utf8"));
}

/** The value as a plain object, or `{}`. */
export const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asStrings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/**
 * The manifest digest (in this layout) and run config of the image tagged `tag` in `layout`.
 * Throws when the tag is missing or a blob cannot be read.
 */
export async function readLayoutImage(
  layout: string,
  tag: string,
): Promise<{ manifestDigest: string; config: ImageArtifactConfig }> {
  const index = asRecord(JSON.parse(await readFile(join(layout, "index.json"), "utf8")));
  const manifests = (Array.isArray(index.manifests) ? index.manifests : []) as Descriptor[];
  const entry = manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (entry === undefined) throw new Error(`${layout}: no image tagged ${tag}`);
  const manifest = asRecord(await readBlob(layout, entry.digest));
  const configDigest = asRecord(manifest.config).digest;
  if (typeof configDigest !== "string") throw new Error(`${layout}: manifest ${entry.digest} has no config`);
  return {
    manifestDigest: entry.digest,
    config: imageRunConfig(asRecord(await readBlob(layout, configDigest)).config),
  };
}

/**
 * The run config of an OCI image configuration's `config` object (Docker's capitalised field
 * names: Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts), with defaults for absent fields.
 */
export function imageRunConfig(raw: unknown): ImageArtifactConfig {
  const config = asRecord(raw);
  const env: Record<string, string> = {};
  for (const kv of asStrings(config.Env)) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    entrypoint: asStrings(config.Entrypoint),
    cmd: asStrings(config.Cmd),
    env,
    workingDir: typeof config.WorkingDir === "string" && config.WorkingDir !== "" ? config.WorkingDir : "/",
    user: typeof config.User === "string" ? config.User : "",
    exposedPorts: Object.keys(asRecord(config.ExposedPorts)).sort(),
  };
}
