/**
 * The Build controller: runs each Build through the `Builder` it is handed.
 * PENDING -> RUNNING (status written before the builder is called) -> SUCCEEDED with the
 * artifact, or FAILED with the builder's message; `spec.canceled` -> CANCELED, aborting the call.
 *
 * The builder call runs outside the reconcile that started it (see build-runs.ts) and, when it
 * settles, enqueues the key; the next reconcile writes the outcome. Only a reconcile starts a
 * call, the work queue never reconciles one key twice at once, and a reconcile starts none while
 * the key has one in flight: one Build is never built twice at once.
 *
 * Level-triggered crash recovery: a Build found RUNNING with no call in flight (the process
 * stopped or crashed mid-build) is started again, and `status.attempts` counts the starts.
 */
import { isDeepStrictEqual } from "node:util";
import {
  BUILD_KIND,
  type Build,
  type BuildResourceStatus,
  TERMINAL_BUILD_PHASES,
} from "../resources/build.js";
import type { Condition, ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import { BuildRuns, type RunOutcome } from "./build-runs.js";
import type { Builder } from "./builder.js";
import { setCondition } from "./conditions.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import { keyString } from "./runtime/object-key.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createBuildController`. */
export interface BuildControllerOptions {
  store: Store;
  builder: Builder;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Receives every log line of every build, and one line when an attempt starts and ends; default: dropped. */
  onLogLine?: (build: ObjectKey, line: string) => void;
  /** Where a Build's log lines are kept (recorded as `status.logRef`); default not recorded. */
  logRef?: (build: ObjectKey) => string;
  /** Builds run at once are not limited by this: it counts reconciles. Default 1. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

/** The condition type the Build controller maintains. */
export const BUILD_SUCCEEDED = "Succeeded";

interface Deps {
  store: Store;
  builder: Builder;
  now: () => Date;
  runs: BuildRuns;
  onLogLine: (build: ObjectKey, line: string) => void;
  logRef: ((build: ObjectKey) => string) | undefined;
  enqueue: (key: ObjectKey) => void;
}

type Succeeded = Omit<Condition, "type" | "lastTransitionTime">;

function withCondition(
  build: Build,
  status: BuildResourceStatus,
  c: Succeeded,
  now: Date,
): BuildResourceStatus {
  const observedGeneration = build.metadata.generation;
  const conditions = setCondition(
    status.conditions,
    { type: BUILD_SUCCEEDED, ...c, observedGeneration },
    now,
  );
  return { ...status, observedGeneration, conditions };
}

/** The status of `build` once `outcome` (not aborted) or a cancel is recorded. */
export function finishedStatus(
  build: Build,
  outcome: Exclude<RunOutcome, { kind: "aborted" }> | { kind: "canceled" },
  now: Date,
): BuildResourceStatus {
  const { message: _message, ...base } = build.status ?? { phase: "PENDING", attempts: 0 };
  const finishedAt = now.toISOString();
  switch (outcome.kind) {
    case "succeeded": {
      const { artifactId, reused, sourceCommitHash, builder } = outcome.result;
      const status: BuildResourceStatus = {
        ...base,
        phase: "SUCCEEDED",
        artifactId,
        reused,
        ...(sourceCommitHash === undefined ? {} : { sourceCommitHash }),
        ...(builder === undefined ? {} : { builder }),
        finishedAt,
      };
      const message = `built artifact ${artifactId}${reused ? " (reused)" : ""}`;
      return withCondition(build, status, { status: "True", reason: "BuildSucceeded", message }, now);
    }
    case "failed": {
      const status: BuildResourceStatus = { ...base, phase: "FAILED", message: outcome.message, finishedAt };
      return withCondition(
        build,
        status,
        { status: "False", reason: "BuildFailed", message: outcome.message },
        now,
      );
    }
    case "canceled": {
      const message = "the build was canceled";
      const status: BuildResourceStatus = { ...base, phase: "CANCELED", message, finishedAt };
      return withCondition(build, status, { status: "False", reason: "BuildCanceled", message }, now);
    }
    default: {
      const unknown: never = outcome;
      throw new Error(`unhandled build outcome ${JSON.stringify(unknown)}`);
    }
  }
}

function runningStatus(build: Build, now: Date, logRef: string | undefined): BuildResourceStatus {
  const { message: _m, finishedAt: _f, ...base } = build.status ?? { phase: "PENDING", attempts: 0 };
  const attempts = (build.status?.attempts ?? 0) + 1;
  const status: BuildResourceStatus = {
    ...base,
    phase: "RUNNING",
    attempts,
    startedAt: now.toISOString(),
    ...(logRef === undefined ? {} : { logRef }),
  };
  const message = `attempt ${attempts} started`;
  return withCondition(build, status, { status: "Unknown", reason: "BuildRunning", message }, now);
}

async function writeStatus(store: Store, build: Build, status: BuildResourceStatus): Promise<Build> {
  if (isDeepStrictEqual(status, build.status)) return build;
  return store.updateStatus<Build>({ ...build, status });
}

async function startAttempt(deps: Deps, key: ObjectKey, build: Build): Promise<void> {
  const id = keyString(key);
  // A call of an earlier attempt (only possible if something reset the phase) must end first.
  await deps.runs.cancel(id);
  // Status first: a crash after this write finds the Build RUNNING and starts it again.
  const running = await writeStatus(deps.store, build, runningStatus(build, deps.now(), deps.logRef?.(key)));
  const log = (line: string) => deps.onLogLine(key, line);
  log(`==> build attempt ${running.status?.attempts ?? 1} of ${build.spec.component} started`);
  deps.runs.start(id, running, deps.builder, {
    log,
    onSettled: () => {
      const outcome = deps.runs.get(id)?.outcome;
      if (outcome?.kind === "succeeded") {
        const { artifactId, reused } = outcome.result;
        log(`==> build succeeded: artifact ${artifactId}${reused ? " (reused, nothing built)" : ""}`);
      } else if (outcome?.kind === "failed") log(`==> build failed: ${outcome.message}`);
      else log("==> build stopped");
      deps.enqueue(key);
    },
  });
}

async function reconcileBuild(deps: Deps, key: ObjectKey): Promise<Result> {
  const id = keyString(key);
  const build = await getIfExists<Build>(deps.store, BUILD_KIND, key);
  const gone = build === undefined || build.metadata.deletionTimestamp !== undefined;
  let run = deps.runs.get(id);
  if (gone || (run !== undefined && run.uid !== build.metadata.uid)) {
    void deps.runs.cancel(id);
    run = undefined;
  }
  if (gone) return {};
  const phase = build.status?.phase ?? "PENDING";
  if (TERMINAL_BUILD_PHASES.includes(phase)) {
    void deps.runs.cancel(id);
    return {};
  }
  if (build.spec.canceled === true) {
    void deps.runs.cancel(id);
    await writeStatus(deps.store, build, finishedStatus(build, { kind: "canceled" }, deps.now()));
    return {};
  }
  if (phase === "RUNNING" && run !== undefined) {
    const outcome = run.outcome;
    if (outcome === undefined) return {}; // still building; settling enqueues the key
    if (outcome.kind !== "aborted") {
      await writeStatus(deps.store, build, finishedStatus(build, outcome, deps.now()));
      void deps.runs.cancel(id);
      return {};
    }
  }
  // PENDING, or RUNNING with no call in flight: a stop or crash ended the last attempt.
  await startAttempt(deps, key, build);
  return {};
}

/**
 * The Build controller. Its `stop` aborts every builder call and waits for them to settle; the
 * Builds stay RUNNING and are started again by the next controller on the same store.
 */
export function createBuildController(options: BuildControllerOptions): Controller {
  const runs = new BuildRuns();
  const enqueue = (key: ObjectKey) => controller.enqueue(key);
  const deps: Deps = {
    store: options.store,
    builder: options.builder,
    now: options.now ?? (() => new Date()),
    runs,
    onLogLine: options.onLogLine ?? (() => {}),
    logRef: options.logRef,
    enqueue,
  };
  const controller = createController({
    name: "build",
    forKind: BUILD_KIND,
    reconcile: (key) => reconcileBuild(deps, key),
    concurrency: options.concurrency ?? 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    name: controller.name,
    watches: controller.watches,
    enqueue: (key) => controller.enqueue(key),
    start: () => controller.start(),
    idle: () => controller.idle(),
    stats: () => controller.stats(),
    stop: async () => {
      // Workers first, so that no reconcile starts a call after the calls were aborted.
      await controller.stop();
      await runs.stopAll();
    },
  };
}
