/**
 * Source detection: file trees (in memory or a directory on disk), `detect` for one component's
 * source, and `proposeSpec` for a whole app spec.
 */
export { componentName, DEFAULT_PORT } from "./component.js";
export { type DetectOptions, detect, LOOKED_FOR } from "./detect.js";
export {
  type DirectoryTreeOptions,
  directoryTree,
  type FileTree,
  HIDDEN_NAMES,
  MAX_READ_BYTES,
  memoryTree,
  subTree,
  type TreeEntry,
} from "./file-tree.js";
export { parseProcfile } from "./procfile.js";
export {
  type ProposedSpec,
  type ProposeSpecOptions,
  type ProposeSpecResult,
  proposeSpec,
} from "./propose-spec.js";
export type {
  BuildpackGroup,
  ComponentKind,
  DetectError,
  DetectErrorCode,
  Detection,
  DetectResult,
  Procfile,
  ProposedComponent,
} from "./types.js";
