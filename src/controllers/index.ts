/**
 * The controllers domain: the controller runtime (work queue, informers, controllers, manager)
 * and Slipway's controllers. Controllers are handed a `Store` (and later runtimes) at start-up;
 * they never import a concrete one.
 */
export { type AppControllerOptions, createAppController } from "./app-controller.js";
export { appStatus, DEPLOYMENT_CREATED, deploymentOfGeneration, newestFirst } from "./app-status.js";
export { type AutoscaleDecision, type AutoscaleInput, desiredReplicas } from "./autoscale-decision.js";
export {
  type AutoscalerOptions,
  createAutoscaler,
  DEFAULT_CPU_PERCENT,
  SCALED_AT_ANNOTATION,
} from "./autoscaler.js";
export {
  BUILD_SUCCEEDED,
  type BuildControllerOptions,
  createBuildController,
  finishedStatus,
} from "./build-controller.js";
export type { Builder, BuildRequest, BuildResult } from "./builder.js";
export { buildingStatus, PROGRESSING, RUNTIME_NOT_AVAILABLE } from "./building-status.js";
export { setCondition } from "./conditions.js";
export { type CronTicks, type CronTicksInput, dueTick, MAX_COUNTED_MISSED_TICKS } from "./cron-ticks.js";
export {
  BUILDER_NOT_AVAILABLE,
  createDeploymentController,
  type DeploymentControllerOptions,
  desiredDeploymentStatus,
} from "./deployment-controller.js";
export type {
  InstanceDriver,
  InstanceObservation,
  InstanceRunRequest,
  RunningInstance,
} from "./instance-driver.js";
export type { InstanceMetrics } from "./instance-metrics.js";
export {
  createJobInvocationController,
  INTERRUPTED_MESSAGE,
  type JobInvocationControllerOptions,
} from "./job-invocation-controller.js";
export { ControlPlaneStopping, type JobRunner, type JobRunRequest, type JobRunResult } from "./job-runner.js";
export { createJobScheduler, type JobSchedulerOptions, scheduledJobs } from "./job-scheduler.js";
export { planRollout, type RolloutPlan, SCALED } from "./rollout-plan.js";
export {
  type Controller,
  type ControllerOptions,
  type ControllerStats,
  createController,
  type ReconcileContext,
  type Reconciler,
  type Result,
  TerminalError,
  type WatchSpec,
  watchOwn,
  watchOwned,
} from "./runtime/controller.js";
export {
  createInformer,
  type Informer,
  type InformerHandlers,
  type InformerOptions,
} from "./runtime/informer.js";
export { type LogFields, type Logger, silentLogger, stderrLogger } from "./runtime/logger.js";
export {
  createManager,
  type Manager,
  type ManagerOptions,
  type SignalSource,
  stopOnSignals,
} from "./runtime/manager.js";
export { keyString, parseKeyString } from "./runtime/object-key.js";
export {
  type ExponentialBackoffOptions,
  exponentialBackoff,
  type RateLimiter,
} from "./runtime/rate-limiter.js";
export { systemTimers, type Timers } from "./runtime/timers.js";
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./runtime/work-queue.js";
export {
  createSleepController,
  DEFAULT_AFTER_SECONDS,
  type RequestTotals,
  type SleepControllerOptions,
  sleepingServices,
} from "./sleep-controller.js";
export {
  type ActivityState,
  decideSleep,
  pollInterval,
  type SleepDecision,
  type SleepObservation,
  type SleepSettings,
} from "./sleep-decision.js";
export { createSlipwayManager, type SlipwayManagerOptions } from "./slipway-manager.js";
