export { type EntryKind, KIND_LABEL } from "./access.js";
export { APP_VARIABLES, KIND_VARIABLES, references, replaceReferences } from "./bindable.js";
export {
  BUILD_FIELDS,
  type ComponentChange,
  type ComponentChangeKind,
  canonical,
  diff,
  type SpecDiff,
} from "./diff.js";
export { MAX_INACTIVITY_SECONDS, MIN_INACTIVITY_SECONDS } from "./inactivity-sleep.js";
export {
  DEFAULT_INSTANCE_SIZE,
  INSTANCE_SIZE_SLUGS,
  type InstanceSize,
  instanceSize,
} from "./instance-sizes.js";
export {
  describeValue,
  formatIssue,
  formatPath,
  type PathSegment,
  type SpecIssue,
  sortIssues,
} from "./issues.js";
export { DEFAULT_HTTP_PORT, HEALTH_CHECK_DEFAULTS, LIVENESS_CHECK_DEFAULTS, normalize } from "./normalize.js";
export { originRegexRefusal } from "./origin-regex.js";
export { DEFAULT_MAX_SPEC_BYTES, type ParsedSpec, type ParseResult, parseSpec } from "./parse.js";
export {
  type AppSpec,
  AppSpecSchema,
  appSpecJsonSchema,
  COMPONENT_LISTS,
  type ComponentList,
  type DatabaseSpec,
  type EnvVarSpec,
  type FunctionSpec,
  type IngressRuleSpec,
  type JobSpec,
  type ServiceSpec,
  type StaticSiteSpec,
  type WorkerSpec,
} from "./schema.js";
export {
  createSpecValidator,
  type SpecValidator,
  type SpecValidatorOptions,
  type ValidateOptions,
  type ValidationResult,
} from "./validate.js";
export { type Backend, KNOWN_FEATURES } from "./warnings.js";
