/**
 * The App controller: every App generation gets exactly one Deployment snapshotting it — unless
 * it changes nothing but instance counts and nothing is being deployed, when the ACTIVE
 * Deployment is scaled in place instead (ADR 0024) — and the App's status tells which
 * Deployments are pending, in progress and active.
 *
 * Crash safety: the Deployment of a generation is found by its labels (`slipway.dev/app`,
 * `slipway.dev/app-generation`) read from the store, not from memory or a cache, so a reconcile
 * that runs again after the create succeeded but the status write did not finds it and creates
 * no second one. Status is written last, and only when it changed (a status write is itself an
 * App event: writing unconditionally would reconcile forever).
 */
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { APP_KIND, type App } from "../resources/app.js";
import { DEPLOYMENT_KIND, type Deployment, LABELS, TERMINAL_PHASES } from "../resources/deployment.js";
import type { ObjectKey } from "../resources/meta.js";
import { newDeployment } from "../resources/new-deployment.js";
import { desiredCount, runningComponents } from "../resources/new-instances.js";
import type { Store } from "../store/store.js";
import { appStatus, belongsTo, deploymentOfGeneration, newestFirst } from "./app-status.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import { type Logger, silentLogger } from "./runtime/logger.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";
import { carriedScale, inPlaceScale } from "./scale-in-place.js";

/** Options of `createAppController`. */
export interface AppControllerOptions {
  store: Store;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** The random part of new Deployment names; default 8 random hex digits. */
  randomSuffix?: () => string;
  /** Default 1. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

interface Deps {
  store: Store;
  now: () => Date;
  randomSuffix: () => string;
  log: Logger;
}

async function listDeployments(store: Store, app: App): Promise<Deployment[]> {
  const { items } = await store.list<Deployment>(DEPLOYMENT_KIND, {
    ...(app.metadata.namespace === undefined ? {} : { namespace: app.metadata.namespace }),
    labelSelector: `${LABELS.app}=${app.metadata.name}`,
  });
  // An App deleted and created again under the same name starts at generation 1 again:
  // deployments of the earlier App (another uid) must not count as this one's.
  return items.filter((d) => belongsTo(d, app));
}

function activeOf(deployments: readonly Deployment[]): Deployment | undefined {
  return newestFirst(deployments).find((d) => d.status?.phase === "ACTIVE");
}

function createDeploymentFor(deps: Deps, app: App, deployments: readonly Deployment[]): Promise<Deployment> {
  const first = app.metadata.generation === 1;
  const deployment = newDeployment(app, {
    name: `${app.metadata.name}-${deps.randomSuffix()}`,
    cause: first ? "initial deployment" : "app spec updated",
    causeDetails: { type: "MANUAL", action: first ? "CREATE_DEPLOYMENT" : "UPDATE_SPEC" },
    now: deps.now(),
  });
  const scale = carriedScale(app, activeOf(deployments));
  return deps.store.create<Deployment>(
    scale === undefined ? deployment : { ...deployment, spec: { ...deployment.spec, scale } },
  );
}

/**
 * Serves the App's generation by scaling its ACTIVE deployment when nothing but instance counts
 * changed and no other deployment is under way (ADR 0024): returns that deployment with the new
 * live counts written, or undefined when the generation needs a Deployment of its own.
 */
async function scaleActive(
  deps: Deps,
  app: App,
  deployments: readonly Deployment[],
): Promise<Deployment | undefined> {
  // A deployment under way snapshots an earlier spec: this one must follow it, as a deployment.
  if (deployments.some((d) => !TERMINAL_PHASES.includes(d.status?.phase ?? "UNKNOWN"))) return undefined;
  const active = activeOf(deployments);
  const scale = active === undefined ? undefined : inPlaceScale(app, active);
  if (active === undefined || scale === undefined) return undefined;
  const counted = { ...active, spec: { ...active.spec, scale } };
  const same = runningComponents(active).every(
    ({ component }) => desiredCount(active, component) === desiredCount(counted, component),
  );
  // Level-triggered: a reconcile after the write (or a revert to the live counts) writes nothing.
  if (same) return active;
  const updated = await deps.store.update<Deployment>(counted);
  deps.log.info("scaled in place", { app: app.metadata.name, deployment: active.metadata.name, scale });
  return updated;
}

/** One reconcile of the App at `key`. */
async function reconcileApp(deps: Deps, key: ObjectKey): Promise<Result> {
  const app = await getIfExists<App>(deps.store, APP_KIND, key);
  // Deployments are owned by the App: deleting them with it is garbage collection's job.
  if (app === undefined || app.metadata.deletionTimestamp !== undefined) return {};
  const deployments = await listDeployments(deps.store, app);
  let current = deploymentOfGeneration(app, deployments);
  const scaled = current === undefined ? await scaleActive(deps, app, deployments) : undefined;
  if (current === undefined && scaled === undefined) {
    // A name clash (already_exists) throws and is retried with a new random name.
    current = await createDeploymentFor(deps, app, deployments);
    deployments.push(current);
  }
  const status = appStatus(
    app,
    deployments,
    scaled ?? (current as Deployment),
    deps.now(),
    scaled !== undefined,
  );
  if (!isDeepStrictEqual(status, app.status ?? {})) {
    // A conflict means the App changed meanwhile: the thrown error retries with fresh state.
    await deps.store.updateStatus<App>({ ...app, status });
  }
  return {};
}

/** The App controller: reconciles Apps, and an App again whenever one of its Deployments changes. */
export function createAppController(options: AppControllerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    now: options.now ?? (() => new Date()),
    randomSuffix: options.randomSuffix ?? (() => randomBytes(4).toString("hex")),
    log: options.log ?? silentLogger(),
  };
  return createController({
    name: "app",
    forKind: APP_KIND,
    owns: [DEPLOYMENT_KIND],
    reconcile: (key) => reconcileApp(deps, key),
    concurrency: options.concurrency ?? 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
