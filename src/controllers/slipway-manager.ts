/**
 * The manager of every Slipway controller, as the server runs it.
 */
import type { Store } from "../store/store.js";
import { createAppController } from "./app-controller.js";
import { createDeploymentController } from "./deployment-controller.js";
import type { Logger } from "./runtime/logger.js";
import { createManager, type Manager } from "./runtime/manager.js";

/** Options of `createSlipwayManager`. */
export interface SlipwayManagerOptions {
  store: Store;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Default: silent. */
  log?: Logger;
}

/** A manager running every Slipway controller (App, Deployment) on `options.store`. */
export function createSlipwayManager(options: SlipwayManagerOptions): Manager {
  const common = {
    store: options.store,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  return createManager({
    store: options.store,
    controllers: [createAppController(common), createDeploymentController(common)],
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
