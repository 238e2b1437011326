/**
 * Ids of image artifacts. A pulled image's id depends on its manifest digest alone, so the same
 * digest is never pulled twice, whatever tag or mirror named it. A Dockerfile build's id covers
 * everything the build reads: the context's source digest, the Dockerfile path, source_dir, the
 * build args (SECRET values hashed) and the registry configuration `FROM` resolves through.
 */
import { createHash } from "node:crypto";
import { canonical } from "../../spec/index.js";
import type { BuildEnv } from "../lifecycle/index.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The artifact id (64 hex digits) of a pulled image with manifest digest `digest`. Pure. */
export function pulledImageId(digest: string): string {
  return sha256(canonical({ v: 1, origin: "pull", digest }));
}

/** Inputs of {@link dockerfileImageId}. */
export interface DockerfileIdInputs {
  /** sourceDigest of the build context (the source root joined with source_dir). */
  sourceDigest: string;
  /** Relative to the context, normalized. */
  dockerfilePath: string;
  /** `""` for the source root. */
  sourceDir: string;
  /** Build-visible envs (they become build args). */
  envs: readonly BuildEnv[];
  /** mirrorsFingerprint of the registry configuration. */
  registries: string;
}

/**
 * The artifact id (64 hex digits) of a Dockerfile build. Pure; env order does not count and
 * SECRET values enter only as their sha256.
 */
export function dockerfileImageId(inputs: DockerfileIdInputs): string {
  const envs = [...inputs.envs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => [e.key, e.secret ? `sha256:${sha256(e.value)}` : e.value, e.secret]);
  return sha256(
    canonical({
      v: 1,
      origin: "dockerfile",
      sourceDigest: inputs.sourceDigest,
      dockerfilePath: inputs.dockerfilePath,
      sourceDir: inputs.sourceDir,
      envs,
      registries: inputs.registries,
    }),
  );
}
