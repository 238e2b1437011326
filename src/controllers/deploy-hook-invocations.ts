/**
 * Deploy hook invocations (ADR 0025): which jobs are hooks, the JobInvocation of a hook of a
 * Deployment (owned by it, named `<deployment>.<job>`), and how a finished one failed.
 */
import { type Deployment, LABELS } from "../resources/deployment.js";
import {
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  type JobTrigger,
} from "../resources/job-invocation.js";
import { API_VERSION, type NewResource } from "../resources/meta.js";
import { jobTimeoutSeconds } from "../resources/new-job-invocation.js";
import type { JobSpec } from "../spec/index.js";

/** The jobs that run around a deployment. */
export type HookKind = "PRE_DEPLOY" | "POST_DEPLOY" | "FAILED_DEPLOY";

/** The hook kind of a job; undefined for SCHEDULED jobs. UNSPECIFIED is POST_DEPLOY, as on DO. */
export function hookKind(job: Pick<JobSpec, "kind">): HookKind | undefined {
  const kind = job.kind ?? "UNSPECIFIED";
  if (kind === "SCHEDULED") return undefined;
  return kind === "UNSPECIFIED" ? "POST_DEPLOY" : kind;
}

/** The name of the invocation of hook `job` of `deployment`. */
export function hookInvocationName(deployment: string, job: string): string {
  return `${deployment}.${job}`;
}

/** The invocation of hook `job` of `deployment`, owned by the Deployment. */
export function newHookInvocation(
  deployment: Deployment,
  job: JobSpec,
  kind: HookKind,
  now: Date,
): NewResource<JobInvocation> {
  const { name, namespace, uid } = deployment.metadata;
  return {
    apiVersion: API_VERSION,
    kind: JOB_INVOCATION_KIND,
    metadata: {
      name: hookInvocationName(name, job.name),
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [LABELS.app]: deployment.spec.app, [LABELS.deployment]: name, [JOB_LABEL]: job.name },
      ownerReferences: [{ apiVersion: API_VERSION, kind: deployment.kind, name, uid, controller: true }],
    },
    spec: {
      app: deployment.spec.app,
      deployment: name,
      job: job.name,
      scheduledAt: now.toISOString(),
      trigger: kind satisfies JobTrigger,
      timeoutSeconds: jobTimeoutSeconds(job.timeout),
    },
  };
}

/** The hook jobs of `kind` in `deployment`'s spec. */
export function hooks(deployment: Deployment, kind: HookKind): JobSpec[] {
  return (deployment.spec.appSpec.jobs ?? []).filter((j) => hookKind(j) === kind);
}

function finished(inv: JobInvocation): boolean {
  const phase = inv.status?.phase ?? "PENDING";
  return phase !== "PENDING" && phase !== "RUNNING";
}

/** Why a finished invocation did not succeed, in words; undefined when it succeeded. */
export function hookFailure(inv: JobInvocation): string | undefined {
  const status = inv.status;
  if (status === undefined || status.phase === "SUCCEEDED" || !finished(inv)) return undefined;
  if (status.exitCode !== undefined) return `failed with exit code ${status.exitCode}`;
  const message = status.message ?? "no reason recorded";
  return status.phase === "FAILED" ? `failed: ${message}` : `${status.phase.toLowerCase()}: ${message}`;
}

const KIND_WORDS: Record<HookKind, string> = {
  PRE_DEPLOY: "pre-deploy",
  POST_DEPLOY: "post-deploy",
  FAILED_DEPLOY: "failed-deploy",
};

/** What went wrong with a hook run, and where its output is. */
export function failureMessage(kind: HookKind, inv: JobInvocation, failure: string): string {
  const where = `slipway apps logs ${inv.spec.app} ${inv.spec.job} --deployment ${inv.spec.deployment}`;
  return `${KIND_WORDS[kind]} job ${inv.spec.job} ${failure} (its output: ${where})`;
}

/** The Deployment's hook invocations by job name (those it owns, under the hook name). */
export function hookInvocations(
  deployment: Deployment,
  invocations: readonly JobInvocation[],
): Map<string, JobInvocation> {
  const out = new Map<string, JobInvocation>();
  for (const inv of invocations) {
    const owned = inv.metadata.ownerReferences?.some((r) => r.uid === deployment.metadata.uid) === true;
    if (owned && inv.metadata.name === hookInvocationName(deployment.metadata.name, inv.spec.job))
      out.set(inv.spec.job, inv);
  }
  return out;
}
