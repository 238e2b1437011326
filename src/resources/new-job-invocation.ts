/**
 * A new JobInvocation for one tick of a job of an App's Deployment. Pure: the job scheduler stores it.
 */
import type { App } from "./app.js";
import { type Deployment, LABELS } from "./deployment.js";
import {
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  type JobInvocationStatus,
  type JobTrigger,
  jobInvocationName,
} from "./job-invocation.js";
import { API_VERSION, type NewResource } from "./meta.js";

/** The timeout of a job whose spec names none (DO's default, 30 minutes). */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 30 * 60;

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/**
 * Seconds in a Go duration string (`1h30m`, `90s`, `1.5h`), rounded up to a whole second and at
 * least 1; the default (30 minutes) when `text` is absent. Throws for text that is not a
 * duration (the spec validator rejects those before a Deployment exists).
 */
export function jobTimeoutSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_JOB_TIMEOUT_SECONDS;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new Error(`job timeout: "${text}" is not a duration such as 30s, 5m or 1h30m`);
  }
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_SECONDS[p[2] ?? "s"] ?? 0), 0);
  return Math.max(1, Math.ceil(seconds));
}

/** Options of `newJobInvocation`. */
export interface NewJobInvocationOptions {
  /** The job's name in the Deployment's spec. */
  job: string;
  /** The cron tick (SCHEDULED) or the time it was asked for (MANUAL). */
  tick: Date;
  trigger: JobTrigger;
  /** Set to create the invocation already SKIPPED (a tick that came while another one ran). */
  skipped?: { message: string; now: Date };
}

/**
 * The invocation of `options.job` of `deployment` for `options.tick`, owned by `app` and labelled
 * with the app, deployment and job. Throws when the job is not in the Deployment's spec.
 */
export function newJobInvocation(
  app: App,
  deployment: Deployment,
  options: NewJobInvocationOptions,
): NewResource<JobInvocation> {
  const job = deployment.spec.appSpec.jobs?.find((j) => j.name === options.job);
  if (job === undefined) {
    throw new Error(`deployment ${deployment.metadata.name} has no job named "${options.job}"`);
  }
  const { namespace } = app.metadata;
  const status: JobInvocationStatus | undefined =
    options.skipped === undefined
      ? undefined
      : {
          phase: "SKIPPED",
          message: options.skipped.message,
          completedAt: options.skipped.now.toISOString(),
        };
  return {
    apiVersion: API_VERSION,
    kind: JOB_INVOCATION_KIND,
    metadata: {
      name: jobInvocationName(app.metadata.name, job.name, options.tick),
      ...(namespace === undefined ? {} : { namespace }),
      labels: {
        [LABELS.app]: app.metadata.name,
        [LABELS.deployment]: deployment.metadata.name,
        [JOB_LABEL]: job.name,
      },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: app.kind,
          name: app.metadata.name,
          uid: app.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      app: app.metadata.name,
      deployment: deployment.metadata.name,
      job: job.name,
      scheduledAt: options.tick.toISOString(),
      trigger: options.trigger,
      timeoutSeconds: jobTimeoutSeconds(job.timeout),
    },
    ...(status === undefined ? {} : { status }),
  };
}
