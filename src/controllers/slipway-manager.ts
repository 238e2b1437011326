/**
 * The manager of every Slipway controller, as the server runs it.
 */
import type { Store } from "../store/store.js";
import { createAppController } from "./app-controller.js";
import { type BuildControllerOptions, createBuildController } from "./build-controller.js";
import type { Builder } from "./builder.js";
import { createDeploymentController } from "./deployment-controller.js";
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
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Default: silent. */
  log?: Logger;
}

/**
 * A manager running every Slipway controller on `options.store`: App and Deployment, plus Build
 * when a `builder` is given.
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
    createDeploymentController({ ...common, builds }),
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
  return createManager({
    store: options.store,
    controllers,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
