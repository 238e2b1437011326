/**
 * The job scheduler: for each App, creates a JobInvocation for every cron tick of every SCHEDULED
 * job of the App's ACTIVE Deployment (`App.status.activeDeployment`), and wakes up again at the
 * next tick (`requeueAfter`, on the injected clock).
 *
 * Its memory is `App.status.scheduledJobs` (since when a job is scheduled, its last tick, the
 * invocation made for it, ticks dropped). A job first seen is scheduled from that moment on; a
 * job no longer in the active spec loses its entry and gets no invocations (one still running
 * finishes). Which tick is due is `dueTick` (cron-ticks.ts): after downtime only the newest
 * missed tick runs.
 *
 * Crash safety: the invocation is created before the status is written, under a name made of
 * the app, the job and the tick. A reconcile that runs again after a crash or a status conflict
 * computes the same tick, finds the invocation (already_exists) and only writes the status:
 * one tick is never invoked twice.
 *
 * History: finished invocations beyond `historyLimit` per job are deleted (oldest ticks first),
 * as a CronJob's history limits, so a minutely job does not grow the store without bound.
 *
 * Concurrency (DO / Kubernetes `concurrencyPolicy: Forbid`): a tick that comes while an
 * invocation of the same job is PENDING or RUNNING gets an invocation created SKIPPED, saying
 * which one was running, so the skip is visible in `list-job-invocations`.
 */
import { isDeepStrictEqual } from "node:util";
import { APP_KIND, type App, type AppResourceStatus, type ScheduledJobStatus } from "../resources/app.js";
import { DEPLOYMENT_KIND, type Deployment, LABELS } from "../resources/deployment.js";
import { isErrorCode } from "../resources/errors.js";
import {
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  jobInvocationName,
  TERMINAL_JOB_INVOCATION_PHASES,
} from "../resources/job-invocation.js";
import type { ObjectKey } from "../resources/meta.js";
import { newJobInvocation } from "../resources/new-job-invocation.js";
import type { JobSpec } from "../spec/index.js";
import type { Store } from "../store/store.js";
import { dueTick } from "./cron-ticks.js";
import { getIfExists } from "./read-object.js";
import { type Controller, createController, type Result } from "./runtime/controller.js";
import { type Logger, silentLogger } from "./runtime/logger.js";
import type { WorkQueueOptions } from "./runtime/work-queue.js";

/** Options of `createJobScheduler`. */
export interface JobSchedulerOptions {
  store: Store;
  /** The wall clock ticks are compared with; default `() => new Date()`. */
  now?: () => Date;
  /**
   * The longest wait before looking again, even when the next tick is later: bounds the harm of
   * a wall clock that jumps (NTP, suspend) and of timers that drift. Default one hour.
   */
  maxWakeMs?: number;
  /**
   * Finished invocations kept per job (the newest ticks); older ones are deleted when a new tick
   * is invoked. Default 50.
   */
  historyLimit?: number;
  /** Default 1. */
  concurrency?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
}

interface Deps {
  store: Store;
  now: () => Date;
  maxWakeMs: number;
  historyLimit: number;
  log: Logger;
}

type ScheduledJob = JobSpec & { schedule: { cron: string; time_zone?: string } };

/** The SCHEDULED jobs of `deployment` that have a cron expression. */
export function scheduledJobs(deployment: Deployment): ScheduledJob[] {
  return (deployment.spec.appSpec.jobs ?? []).filter(
    (j): j is ScheduledJob => j.kind === "SCHEDULED" && typeof j.schedule?.cron === "string",
  );
}

function ownedBy(inv: JobInvocation, app: App): boolean {
  return (inv.metadata.ownerReferences ?? []).some((r) => r.kind === APP_KIND && r.uid === app.metadata.uid);
}

/**
 * The finished invocations to delete so that at most `keep` finished ones of a job remain (the
 * newest ticks). Pure. PENDING and RUNNING ones are never pruned.
 */
export function invocationsToPrune(invocations: readonly JobInvocation[], keep: number): JobInvocation[] {
  return invocations
    .filter((inv) => TERMINAL_JOB_INVOCATION_PHASES.includes(inv.status?.phase ?? "PENDING"))
    .sort((a, b) => b.spec.scheduledAt.localeCompare(a.spec.scheduledAt))
    .slice(keep);
}

/** The invocations of `job` of `app` (not of an earlier App of the same name). */
async function invocationsOf(deps: Deps, app: App, job: string): Promise<JobInvocation[]> {
  const { items } = await deps.store.list<JobInvocation>(JOB_INVOCATION_KIND, {
    ...(app.metadata.namespace === undefined ? {} : { namespace: app.metadata.namespace }),
    labelSelector: `${LABELS.app}=${app.metadata.name},${JOB_LABEL}=${job}`,
  });
  return items.filter((inv) => ownedBy(inv, app));
}

async function prune(deps: Deps, invocations: readonly JobInvocation[]): Promise<void> {
  for (const inv of invocationsToPrune(invocations, deps.historyLimit)) {
    const { name, namespace } = inv.metadata;
    try {
      await deps.store.delete(JOB_INVOCATION_KIND, {
        ...(namespace === undefined ? {} : { namespace }),
        name,
      });
    } catch (err) {
      if (!isErrorCode(err, "not_found")) throw err;
    }
  }
}

/** Creates the invocation of `job` for `tick` (SKIPPED if another one runs); returns its name. */
async function invoke(
  deps: Deps,
  app: App,
  deployment: Deployment,
  job: string,
  tick: Date,
): Promise<string> {
  const name = jobInvocationName(app.metadata.name, job, tick);
  const existing = await invocationsOf(deps, app, job);
  // Forbid: another invocation of the job still PENDING or RUNNING makes this tick SKIPPED.
  const busy = existing.find((inv) => {
    const phase = inv.status?.phase ?? "PENDING";
    return inv.metadata.name !== name && (phase === "PENDING" || phase === "RUNNING");
  })?.metadata.name;
  await prune(deps, existing);
  const now = deps.now();
  const skipped =
    busy === undefined
      ? undefined
      : { message: `skipped: invocation ${busy} of job ${job} was still running`, now };
  try {
    await deps.store.create<JobInvocation>(
      newJobInvocation(app, deployment, {
        job,
        tick,
        trigger: "SCHEDULED",
        ...(skipped === undefined ? {} : { skipped }),
      }),
    );
  } catch (err) {
    if (!isErrorCode(err, "already_exists")) throw err;
    // Created by an earlier attempt whose status write did not happen: the tick is invoked.
    const key = {
      ...(app.metadata.namespace === undefined ? {} : { namespace: app.metadata.namespace }),
      name,
    };
    const found = await deps.store.get<JobInvocation>(JOB_INVOCATION_KIND, key);
    if (!ownedBy(found, app)) {
      throw new Error(
        `job invocation ${name} belongs to an earlier app of the same name; waiting for its removal`,
      );
    }
  }
  return name;
}

async function activeDeployment(deps: Deps, app: App): Promise<Deployment | undefined> {
  const name = app.status?.activeDeployment;
  if (name === undefined) return undefined;
  const { namespace } = app.metadata;
  const deployment = await getIfExists<Deployment>(deps.store, DEPLOYMENT_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    name,
  });
  if (deployment?.status?.phase !== "ACTIVE" || deployment.spec.appUid !== app.metadata.uid) return undefined;
  return deployment;
}

/** One reconcile of the App at `key`. */
async function reconcileSchedules(deps: Deps, key: ObjectKey): Promise<Result> {
  const app = await getIfExists<App>(deps.store, APP_KIND, key);
  if (app === undefined || app.metadata.deletionTimestamp !== undefined) return {};
  const deployment = await activeDeployment(deps, app);
  // No active Deployment (none yet, or all failed): nothing runs and the memory is kept.
  if (deployment === undefined) return {};
  const now = deps.now();
  const before = app.status?.scheduledJobs ?? {};
  const after: Record<string, ScheduledJobStatus> = {};
  let wake = deps.maxWakeMs;
  for (const job of scheduledJobs(deployment)) {
    let entry: ScheduledJobStatus = before[job.name] ?? { since: now.toISOString() };
    let plan: ReturnType<typeof dueTick>;
    try {
      plan = dueTick({
        cron: job.schedule.cron,
        ...(job.schedule.time_zone === undefined ? {} : { timeZone: job.schedule.time_zone }),
        after: new Date(entry.lastScheduleTime ?? entry.since),
        now,
      });
    } catch (err) {
      // The spec was validated: a bad schedule here is a bug, and must not stop the other jobs.
      deps.log.error("cannot compute the schedule of a job", {
        app: app.metadata.name,
        job: job.name,
        error: String(err),
      });
      after[job.name] = entry;
      continue;
    }
    if (plan.due !== undefined) {
      const name = await invoke(deps, app, deployment, job.name, plan.due);
      const missed = (entry.missedTicks ?? 0) + plan.missed;
      entry = {
        ...entry,
        lastScheduleTime: plan.due.toISOString(),
        lastInvocation: name,
        ...(missed === 0 ? {} : { missedTicks: missed }),
      };
    }
    after[job.name] = entry;
    wake = Math.min(wake, plan.next.getTime() - now.getTime());
  }
  const { scheduledJobs: _old, ...rest } = app.status ?? {};
  const status: AppResourceStatus =
    Object.keys(after).length === 0 ? rest : { ...rest, scheduledJobs: after };
  if (!isDeepStrictEqual(status, app.status ?? {})) {
    // A conflict (the App controller wrote meanwhile) is thrown and retried; the retry finds the
    // invocations it created by name.
    await deps.store.updateStatus<App>({ ...app, status });
  }
  return Object.keys(after).length === 0 ? {} : { requeueAfter: Math.max(0, wake) };
}

/** The job scheduler controller, keyed by App. */
export function createJobScheduler(options: JobSchedulerOptions): Controller {
  const deps: Deps = {
    store: options.store,
    now: options.now ?? (() => new Date()),
    maxWakeMs: options.maxWakeMs ?? 3_600_000,
    historyLimit: options.historyLimit ?? 50,
    log: options.log ?? silentLogger(),
  };
  return createController({
    name: "job-scheduler",
    forKind: APP_KIND,
    reconcile: (key) => reconcileSchedules(deps, key),
    concurrency: options.concurrency ?? 1,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
