export {
  APP_KIND,
  type App,
  type AppResourceSpec,
  type AppResourceStatus,
  type AppSource,
  type InlineFile,
  type ScheduledJobStatus,
} from "./app.js";
export {
  BUILD_KIND,
  BUILD_PHASES,
  BUILT_COMPONENT_LISTS,
  type Build,
  type BuildFields,
  type BuildPhase,
  type BuildResourceSpec,
  type BuildResourceStatus,
  type BuildSource,
  type BuiltComponentKind,
  TERMINAL_BUILD_PHASES,
} from "./build.js";
export {
  type CauseDetails,
  type CauseType,
  DEPLOYMENT_KIND,
  DEPLOYMENT_PHASES,
  type Deployment,
  type DeploymentPhase,
  type DeploymentResourceSpec,
  type DeploymentResourceStatus,
  LABELS,
  type Progress,
  type ProgressStep,
  type StepStatus,
  TERMINAL_PHASES,
} from "./deployment.js";
export { type ErrorCode, type ErrorDetail, isErrorCode, SlipwayError } from "./errors.js";
export {
  INSTANCE_KIND,
  INSTANCE_LABELS,
  INSTANCE_PHASES,
  type Instance,
  type InstancePhase,
  type InstanceResourceSpec,
  type InstanceResourceStatus,
  type InstanceTermination,
  RUNNING_COMPONENT_LISTS,
  type RunningComponentKind,
} from "./instance.js";
export {
  JOB_INVOCATION_KIND,
  JOB_INVOCATION_PHASES,
  JOB_LABEL,
  type JobInvocation,
  type JobInvocationPhase,
  type JobInvocationSpec,
  type JobInvocationStatus,
  type JobTrigger,
  jobInvocationName,
  TERMINAL_JOB_INVOCATION_PHASES,
} from "./job-invocation.js";
export { liveAppSpec } from "./live-app-spec.js";
export {
  API_VERSION,
  type Condition,
  type NewResource,
  type ObjectKey,
  type ObjectMeta,
  type OwnerReference,
  type Resource,
} from "./meta.js";
export { buildName, newBuilds } from "./new-build.js";
export { countSteps, initialProgress, type NewDeploymentOptions, newDeployment } from "./new-deployment.js";
export {
  desiredCount,
  instanceCount,
  instanceName,
  newInstance,
  newInstances,
  type RunningComponent,
  runningComponents,
} from "./new-instances.js";
export {
  DEFAULT_JOB_TIMEOUT_SECONDS,
  jobTimeoutSeconds,
  type NewJobInvocationOptions,
  newJobInvocation,
} from "./new-job-invocation.js";
export { PINNED_ANNOTATION, type RetentionOptions, retainedArtifacts } from "./retained-artifacts.js";
