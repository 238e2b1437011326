/**
 * The manager of every Slipway controller, as the server runs it.
 */
import type { Store } from "../store/store.js";
import { createAppController } from "./app-controller.js";
import { type AutoscalerOptions, createAutoscaler } from "./autoscaler.js";
import { type BuildControllerOptions, createBuildController } from "./build-controller.js";
import type { Builder } from "./builder.js";
import { createDeploymentController } from "./deployment-controller.js";
import { createInstanceController } from "./instance-controller.js";
import type { InstanceDriver } from "./instance-driver.js";
import {
  createJobInvocationController,
  type JobInvocationControllerOptions,
} from "./job-invocation-controller.js";
import type { JobRunner } from "./job-runner.js";
import { createJobScheduler } from "./job-scheduler.js";
import { createRolloutController } from "./rollout-controller.js";
import type { Controller } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import { createManager, type Manager } from "./runtime/manager.js";

/** Options of `createSlipwayManager`. */
export interface SlipwayManagerOptions {
  store: Store;
  /**
   * Runs builds. Default: none, and Deployments wait in PENDING_BUILD with the
   * BuilderNotAvailable condition (no Build controller runs).
   */
  builder?: Builder;
  /** Receives the Build controller's log lines (see BuildControllerOptions.onLogLine). */
  onBuildLogLine?: BuildControllerOptions["onLogLine"];
  /** Where Build logs are kept (see BuildControllerOptions.logRef). */
  buildLogRef?: BuildControllerOptions["logRef"];
  /**
   * Runs scheduled jobs. Default: none, and neither the job scheduler nor the JobInvocation
   * controller runs (no invocation is created that nothing would run; ADR 0016).
   */
  jobRunner?: JobRunner;
  /**
   * Runs instances on this machine. With it, built Deployments roll out (rollout controller) and
   * Instances run (instance controller); without it they wait in PENDING_DEPLOY.
   */
  instanceDriver?: InstanceDriver;
  /**
   * CPU use of instances. With it (and an instanceDriver), the autoscaler runs (ADR 0024); its
   * interval and stabilization window come from `autoscaling`.
   */
  instanceMetrics?: AutoscalerOptions["metrics"];
  /** See AutoscalerOptions (intervalMs, stabilizationMs). */
  autoscaling?: Pick<AutoscalerOptions, "intervalMs" | "stabilizationMs">;
  /** See RolloutControllerOptions.deployTimeoutMs. */
  deployTimeoutMs?: number;
  /** Receives the job runs' log lines (see JobInvocationControllerOptions.onLogLine). */
  onJobLogLine?: JobInvocationControllerOptions["onLogLine"];
  /** Where job invocation logs are kept (see JobInvocationControllerOptions.logRef). */
  jobLogRef?: JobInvocationControllerOptions["logRef"];
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Default: silent. */
  log?: Logger;
}

/**
 * A manager running every Slipway controller on `options.store`: App and Deployment, plus Build
 * when a `builder` is given, plus the job scheduler and JobInvocation controller when a
 * `jobRunner` is given.
 */
export function createSlipwayManager(options: SlipwayManagerOptions): Manager {
  const common = {
    store: options.store,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  const builds = options.builder !== undefined;
  const controllers: Controller[] = [
    createAppController(common),
    createDeploymentController({ ...common, builds, rollout: options.instanceDriver !== undefined }),
  ];
  if (options.builder !== undefined) {
    controllers.push(
      createBuildController({
        ...common,
        builder: options.builder,
        ...(options.onBuildLogLine === undefined ? {} : { onLogLine: options.onBuildLogLine }),
        ...(options.buildLogRef === undefined ? {} : { logRef: options.buildLogRef }),
      }),
    );
  }
  if (options.instanceDriver !== undefined) {
    controllers.push(
      createRolloutController({
        ...common,
        ...(options.deployTimeoutMs === undefined ? {} : { deployTimeoutMs: options.deployTimeoutMs }),
        deployHooks: options.jobRunner !== undefined,
      }),
      createInstanceController({ ...common, driver: options.instanceDriver }),
    );
    if (options.instanceMetrics !== undefined)
      controllers.push(
        createAutoscaler({ ...common, ...options.autoscaling, metrics: options.instanceMetrics }),
      );
  }
  if (options.jobRunner !== undefined) {
    controllers.push(
      createJobScheduler(common),
      createJobInvocationController({
        ...common,
        runner: options.jobRunner,
        ...(options.onJobLogLine === undefined ? {} : { onLogLine: options.onJobLogLine }),
        ...(options.jobLogRef === undefined ? {} : { logRef: options.jobLogRef }),
      }),
    );
  }
  return createManager({
    store: options.store,
    controllers,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
