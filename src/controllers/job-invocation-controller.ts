/**
 * The JobInvocation controller: runs each invocation through the `JobRunner` it is handed.
 * PENDING -> RUNNING (status written before the runner is called) -> SUCCEEDED (exit code 0) or
 * FAILED (another exit code, a runner error, or `timeoutSeconds` passed: the call is aborted);
 * `spec.canceled` -> CANCELED, aborting the call. SKIPPED invocations are never run.
 *
 * The runner call runs outside the reconcile (see job-runs.ts); when it settles it enqueues the
 * key, and while it runs the key is requeued for its deadline, so a timeout is seen even if the
 * runner ignores its signal.
 *
 * Crash recovery: an invocation found RUNNING with no call in flight (the control plane stopped
 * or crashed mid-run) is marked FAILED "interrupted by a control-plane restart", not run again:
 * a job may have side effects (mail sent, rows written) that running it twice would repeat, and
 * the next tick runs as scheduled (ADR 0016).
 */
import { isDeepStrictEqual } from "node:util";
import {
  JOB_INVOCATION_KIND,
  type JobInvocation,
  type JobInvocationStatus,
  TERMINAL_JOB_INVOCATION_PHASES,
} from "../resources/job-invocation.js";
import type { ObjectKey } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import { ControlPlaneStopping, type JobRunner } from "./job-runner.js";
import { JobRuns } from "./job-runs.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import type { Logger } from "./runtime/logger.js";
import { keyString } from "./runtime/object-key.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createJobInvocationController`. */
export interface JobInvocationControllerOptions {
  store: Store;
  runner: JobRunner;
  /** Default `() => new Date()`; timeouts are measured on it. */
  now?: () => Date;
  /** Receives every log line of every run, and a line when a run starts and ends; default: dropped. */
  onLogLine?: (invocation: ObjectKey, line: string) => void;
  /** Where an invocation's log lines are kept (recorded as `status.logRef`); default not recorded. */
  logRef?: (invocation: ObjectKey) => string;
  /** Counts reconciles, not runs (runs are not limited). Default 1. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

/** The message of an invocation found RUNNING after a restart. */
export const INTERRUPTED_MESSAGE = "interrupted by a control-plane restart; the job was not run again";

/**
 * The longest requeue: timers past 2^31 ms (24.8 days, a `timeout` of 1000h) fire at once in
 * Node, and a wall clock that jumps is noticed within this.
 */
const MAX_WAIT_MS = 3_600_000;

interface Deps {
  store: Store;
  runner: JobRunner;
  now: () => Date;
  runs: JobRuns;
  onLogLine: (invocation: ObjectKey, line: string) => void;
  logRef: ((invocation: ObjectKey) => string) | undefined;
  enqueue: (key: ObjectKey) => void;
}

type Ending =
  | { phase: "SUCCEEDED"; exitCode: number }
  | { phase: "FAILED"; message: string; exitCode?: number }
  | { phase: "CANCELED"; message: string };

function endedStatus(invocation: JobInvocation, ending: Ending, now: Date): JobInvocationStatus {
  const { message: _m, exitCode: _e, ...base } = invocation.status ?? { phase: "PENDING" };
  return { ...base, ...ending, completedAt: now.toISOString() };
}

async function writeStatus(
  store: Store,
  inv: JobInvocation,
  status: JobInvocationStatus,
): Promise<JobInvocation> {
  if (isDeepStrictEqual(status, inv.status)) return inv;
  return store.updateStatus<JobInvocation>({ ...inv, status });
}

async function start(deps: Deps, key: ObjectKey, inv: JobInvocation): Promise<Result> {
  const id = keyString(key);
  const now = deps.now();
  const logRef = deps.logRef?.(key);
  // Status first: a crash after this write finds the invocation RUNNING and fails it; a crash
  // before it runs nothing yet. Either way the runner is called at most once.
  const running = await writeStatus(deps.store, inv, {
    phase: "RUNNING",
    startedAt: now.toISOString(),
    ...(logRef === undefined ? {} : { logRef }),
  });
  const log = (line: string) => deps.onLogLine(key, line);
  log(`==> job ${inv.spec.job} started (${inv.spec.trigger}, tick ${inv.spec.scheduledAt})`);
  deps.runs.start(id, running, deps.runner, {
    log,
    onSettled: () => {
      const outcome = deps.runs.get(id)?.outcome;
      if (outcome?.kind === "exited") log(`==> job exited with code ${outcome.exitCode}`);
      else if (outcome?.kind === "failed") log(`==> job failed: ${outcome.message}`);
      else log("==> job stopped");
      deps.enqueue(key);
    },
  });
  return { requeueAfter: Math.min(inv.spec.timeoutSeconds * 1000, MAX_WAIT_MS) };
}

async function reconcileRunning(deps: Deps, key: ObjectKey, inv: JobInvocation): Promise<Result> {
  const id = keyString(key);
  const run = deps.runs.get(id);
  const now = deps.now();
  if (run === undefined) {
    await writeStatus(
      deps.store,
      inv,
      endedStatus(inv, { phase: "FAILED", message: INTERRUPTED_MESSAGE }, now),
    );
    return {};
  }
  const outcome = run.outcome;
  if (outcome !== undefined && outcome.kind !== "aborted") {
    const ending: Ending =
      outcome.kind === "failed"
        ? { phase: "FAILED", message: outcome.message }
        : outcome.exitCode === 0
          ? { phase: "SUCCEEDED", exitCode: 0 }
          : {
              phase: "FAILED",
              exitCode: outcome.exitCode,
              message: `the job exited with code ${outcome.exitCode}`,
            };
    await writeStatus(deps.store, inv, endedStatus(inv, ending, now));
    void deps.runs.cancel(id);
    return {};
  }
  const startedAt = Date.parse(inv.status?.startedAt ?? now.toISOString());
  const left = startedAt + inv.spec.timeoutSeconds * 1000 - now.getTime();
  if (left <= 0) {
    // Record the timeout before waiting for the runner: a runner slow to stop must not delay it.
    const message = `timed out after ${inv.spec.timeoutSeconds} s`;
    await writeStatus(deps.store, inv, endedStatus(inv, { phase: "FAILED", message }, now));
    // Aborted at once, not awaited: the job's termination grace period (up to 10 minutes) must
    // not hold a worker the other invocations need.
    void deps.runs.cancel(id);
    return {};
  }
  // An aborted call with time left: the controller is stopping; the next one fails the invocation.
  return outcome?.kind === "aborted" ? {} : { requeueAfter: Math.min(left, MAX_WAIT_MS) };
}

async function reconcileInvocation(deps: Deps, key: ObjectKey): Promise<Result> {
  const id = keyString(key);
  const inv = await getIfExists<JobInvocation>(deps.store, JOB_INVOCATION_KIND, key);
  const run = deps.runs.get(id);
  if (
    inv === undefined ||
    inv.metadata.deletionTimestamp !== undefined ||
    (run && run.uid !== inv.metadata.uid)
  ) {
    void deps.runs.cancel(id);
  }
  if (inv === undefined || inv.metadata.deletionTimestamp !== undefined) return {};
  const phase = inv.status?.phase ?? "PENDING";
  if (TERMINAL_JOB_INVOCATION_PHASES.includes(phase)) {
    void deps.runs.cancel(id);
    return {};
  }
  if (inv.spec.canceled === true) {
    const message = phase === "RUNNING" ? "canceled while running" : "canceled before it started";
    await writeStatus(deps.store, inv, endedStatus(inv, { phase: "CANCELED", message }, deps.now()));
    void deps.runs.cancel(id);
    return {};
  }
  if (phase === "RUNNING") return reconcileRunning(deps, key, inv);
  return start(deps, key, inv);
}

/**
 * The JobInvocation controller. Its `stop` aborts every runner call and waits for them to
 * settle; the invocations stay RUNNING and the next controller on the same store fails them.
 */
export function createJobInvocationController(options: JobInvocationControllerOptions): Controller {
  const runs = new JobRuns();
  const deps: Deps = {
    store: options.store,
    runner: options.runner,
    now: options.now ?? (() => new Date()),
    runs,
    onLogLine: options.onLogLine ?? (() => {}),
    logRef: options.logRef,
    enqueue: (key) => controller.enqueue(key),
  };
  const controller = createController({
    name: "job-invocation",
    forKind: JOB_INVOCATION_KIND,
    reconcile: (key) => reconcileInvocation(deps, key),
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
      await runs.stopAll(new ControlPlaneStopping());
    },
  };
}
