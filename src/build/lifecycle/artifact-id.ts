/**
 * The artifact id: what makes two builds interchangeable. It is the sha256 of the canonical JSON
 * of the source digest, the builder, the build-relevant fields of the component, the envs the
 * build sees (SECRET values only as their own sha256) and the stack version.
 */
import { createHash } from "node:crypto";
import type { BuildpackGroup } from "../../detect/index.js";
import { canonical } from "../../spec/index.js";
import type { BuildEnv } from "./build-envs.js";

/** The component fields that change what a build produces. */
export const ARTIFACT_BUILD_FIELDS = [
  "build_command",
  "source_dir",
  "environment_slug",
  "output_dir",
  "dockerfile_path",
] as const;

/** The build-relevant part of a component: any spec component fits. */
export type BuildFieldValues = Partial<Record<(typeof ARTIFACT_BUILD_FIELDS)[number], string>>;

/** Inputs of {@link artifactId}. */
export interface ArtifactInputs {
  /** From sourceDigest, over the component's source directory. */
  sourceDigest: string;
  builder: BuildpackGroup;
  /** The component; only ARTIFACT_BUILD_FIELDS are read, other fields do not count. */
  component: BuildFieldValues;
  /** From buildEnvs: only build-visible envs. */
  envs: readonly BuildEnv[];
  stackVersion: string;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * The artifact id (64 hex digits) of `inputs`. Pure. Key order, absent versus undefined fields,
 * and the order of `envs` do not count; a RUN_TIME env cannot count because it is not in `envs`.
 * SECRET values enter only hashed, so the canonical form can be logged without leaking them.
 */
export function artifactId(inputs: ArtifactInputs): string {
  const fields: Record<string, string> = {};
  for (const f of ARTIFACT_BUILD_FIELDS) {
    const v = inputs.component[f];
    if (v !== undefined) fields[f] = v;
  }
  const envs = [...inputs.envs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => [e.key, e.secret ? `sha256:${sha256(e.value)}` : e.value, e.secret, e.runTime]);
  const doc = {
    v: 1,
    sourceDigest: inputs.sourceDigest,
    builder: inputs.builder,
    fields,
    envs,
    stackVersion: inputs.stackVersion,
  };
  return sha256(canonical(doc));
}
