/**
 * The `JobInvocation` resource: one run of a job of an app, as DigitalOcean's job invocations
 * (`/v2/apps/{id}/job-invocations`). The job scheduler creates one per cron tick of a SCHEDULED
 * job of the App's active Deployment, owned by the App and named `<app>.<job>.<unix seconds of
 * the tick>` so that creating the invocation of a tick is idempotent; the JobInvocation
 * controller runs it through a job runner. Logs are not kept in the resource: `logRef` points
 * into a log store.
 */
import type { Condition, Resource } from "./meta.js";

/** DigitalOcean's job invocation phases. SKIPPED: a tick that came while another invocation ran. */
export const JOB_INVOCATION_PHASES = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "CANCELED",
  "SKIPPED",
] as const;

/** One job invocation phase. */
export type JobInvocationPhase = (typeof JOB_INVOCATION_PHASES)[number];

/** Phases after which the runner is never called for the invocation. */
export const TERMINAL_JOB_INVOCATION_PHASES: readonly JobInvocationPhase[] = [
  "SUCCEEDED",
  "FAILED",
  "CANCELED",
  "SKIPPED",
];

/**
 * What started an invocation (DO's `trigger.type`), or the deploy hook it runs as (ADR 0025:
 * PRE_DEPLOY, POST_DEPLOY and FAILED_DEPLOY jobs run once per Deployment, owned by it).
 */
export type JobTrigger = "SCHEDULED" | "MANUAL" | "PRE_DEPLOY" | "POST_DEPLOY" | "FAILED_DEPLOY";

/** The label holding the job's name on JobInvocations (besides `slipway.dev/app` and `slipway.dev/deployment`). */
export const JOB_LABEL = "slipway.dev/job";

/** What to run. Set at creation; only `canceled` changes afterwards. */
export interface JobInvocationSpec {
  /** The App's name (same namespace). */
  app: string;
  /** The Deployment whose artifact and spec the job runs from (the App's active one at the tick). */
  deployment: string;
  /** The job's name in the app spec. */
  job: string;
  /** RFC 3339: the cron tick this invocation is for (for MANUAL: when it was asked for). */
  scheduledAt: string;
  trigger: JobTrigger;
  /** The job's `timeout` in seconds: a run still going after this long is stopped and FAILED. */
  timeoutSeconds: number;
  /** Set by a user (API `cancel`): the controller stops the run and marks it CANCELED. */
  canceled?: boolean;
}

/** How an invocation went. */
export interface JobInvocationStatus {
  phase: JobInvocationPhase;
  /** RFC 3339: when the runner was called. */
  startedAt?: string;
  /** RFC 3339: when it reached SUCCEEDED, FAILED, CANCELED or SKIPPED. */
  completedAt?: string;
  /** The job process's exit code, when it exited on its own. */
  exitCode?: number;
  /** Why it failed, was canceled or skipped, in words for the user. */
  message?: string;
  /** Where the run's log lines are kept (DO's JOB_INVOCATION logs); absent until one exists. */
  logRef?: string;
  conditions?: Condition[];
}

/** A JobInvocation resource. */
export type JobInvocation = Resource<"JobInvocation", JobInvocationSpec, JobInvocationStatus>;

/** The kind string of JobInvocation. */
export const JOB_INVOCATION_KIND = "JobInvocation" as const;

/**
 * The name of the invocation of `job` of `app` for the tick at `tick`. Dots separate the parts:
 * app and job names are DNS labels without dots, so no two (app, job, tick) share a name
 * (with dashes, app `a-b` job `c` and app `a` job `b-c` would).
 */
export function jobInvocationName(app: string, job: string, tick: Date): string {
  return `${app}.${job}.${Math.floor(tick.getTime() / 1000)}`;
}
