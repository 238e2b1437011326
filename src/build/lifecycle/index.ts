/**
 * The build lifecycle for source builds: detect, restore, build in a sandbox, export a
 * content-addressed artifact. See docs/adr/0008-build-lifecycle.md.
 */
export {
  ARTIFACT_BUILD_FIELDS,
  type ArtifactInputs,
  artifactId,
  type BuildFieldValues,
} from "./artifact-id.js";
export {
  type AnyArtifactMetadata,
  type AnyStoredArtifact,
  APP_MOUNT,
  type ArtifactMetadata,
  type ImageArtifactConfig,
  type ImageArtifactMetadata,
  publishArtifact,
  publishImageArtifact,
  readAnyArtifact,
  readArtifact,
  readImageArtifact,
  type StoredArtifact,
  type StoredImageArtifact,
  treeSize,
} from "./artifact-store.js";
export { type BuildEnv, buildEnvs } from "./build-envs.js";
export { BuildError, type BuildPhase, describeOutcome, type PhaseFailure } from "./build-error.js";
export {
  type CollectArtifactsOptions,
  type CollectArtifactsResult,
  collectArtifacts,
} from "./collect-artifacts.js";
export {
  CACHE_ENV,
  CACHE_MOUNT,
  CACHE_STAMP,
  type CollectDependencyCachesOptions,
  type CollectDependencyCachesResult,
  cacheDir,
  collectDependencyCaches,
  DependencyCacheLeases,
  LOCKFILES,
  lockfileHash,
  type TakeDependencyCacheOptions,
  takeDependencyCache,
} from "./dependency-cache.js";
export { createLineSplitter, createMasker, type LineSplitter, MASK } from "./mask-secrets.js";
export {
  type BuildComponent,
  type BuildLimits,
  type BuildResult,
  CA_MOUNT,
  type RunBuildOptions,
  runBuild,
} from "./run-build.js";
export type { BuildMount, RunInSandbox, SandboxOutcome, SandboxRequest } from "./run-in-sandbox.js";
export { sourceDigest } from "./source-digest.js";
