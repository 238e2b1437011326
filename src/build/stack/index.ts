/**
 * The stack: the Debian root filesystem with language runtimes that builds and apps run on.
 */
export { type BuildStackOptions, type BuildStackResult, buildStack } from "./build-stack.js";
export { listStacks, type StackList } from "./list-stacks.js";
export { createProcessRunner, type RunCommand, type RunOptions, type RunResult } from "./process-runner.js";
export { readStackInfo } from "./read-stack-info.js";
export {
  checkStackDefinition,
  DEFAULT_STACK,
  type StackDefinition,
  stackName,
  stackVersion,
} from "./stack-definition.js";
export { parseStackInfo, type StackInfo, type StackRuntimes } from "./stack-info.js";
export { StackBuildError } from "./stack-steps.js";
