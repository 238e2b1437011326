/**
 * Where a component's source comes from, turned into a folder the build lifecycle reads: a git
 * branch or commit, inline files, or an uploaded tarball; then `source_dir` inside it. See
 * docs/adr/0011-sources.md.
 */
export {
  type FetchedGitSource,
  type FetchGitSourceOptions,
  fetchGitSource,
  GIT_FETCH_TIMEOUT_MS,
} from "./fetch-git-source.js";
export {
  checkBranchName,
  type GitCloneTarget,
  type GitCloneTargetResult,
  type GitSourceBlocks,
  gitCloneTarget,
} from "./git-source-url.js";
export { ALWAYS_IGNORED, type IgnoreRule, isIgnored, parseIgnoreRules } from "./ignore-rules.js";
export {
  INLINE_FILE_LIMITS,
  type InlineFile,
  type InlineFileError,
  type InlineFileLimits,
  type InlineFilesResult,
  type NormalizedInlineFile,
  validateInlineFiles,
} from "./inline-files.js";
export { maskUrlCredentials } from "./mask-url.js";
export { IGNORE_FILE, type PackSourceOptions, packSource, sourceUploadDigest } from "./pack-source.js";
export {
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  type NormalizedPath,
  normalizeRelativePath,
  type PathProblem,
} from "./relative-path.js";
export { resolveSourceDir } from "./resolve-source-dir.js";
export { checkTreeLinks, type EscapingLink, findEscapingLinks } from "./tree-links.js";
export { UNPACK_LIMITS, type UnpackedSource, type UnpackLimits, unpackSource } from "./unpack-source.js";
export { writeInlineFiles } from "./write-inline-files.js";
