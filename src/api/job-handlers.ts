/**
 * Handlers of the job invocation routes: list (filtered by job and deployment), get, cancel.
 * Invocations are created by the job scheduler; cancel sets `spec.canceled` and the JobInvocation
 * controller stops the run and writes CANCELED.
 */
import {
  type App,
  DEPLOYMENT_KIND,
  type Deployment,
  isErrorCode,
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  LABELS,
  SlipwayError,
  TERMINAL_JOB_INVOCATION_PHASES,
} from "../resources/index.js";
import { type ApiDeps, findApp, type Handler } from "./call.js";
import type { JobInvocationJson } from "./job-schemas.js";
import type { Routes } from "./routes.js";

/** An invocation as DigitalOcean shows it; its id is its object name. */
export function jobInvocationJson(inv: JobInvocation): JobInvocationJson {
  const s = inv.status;
  return {
    id: inv.metadata.name,
    job_name: inv.spec.job,
    deployment_id: inv.spec.deployment,
    phase: s?.phase ?? "PENDING",
    trigger: { type: inv.spec.trigger },
    scheduled_at: inv.spec.scheduledAt,
    created_at: inv.metadata.creationTimestamp,
    ...(s?.startedAt === undefined ? {} : { started_at: s.startedAt }),
    ...(s?.completedAt === undefined ? {} : { completed_at: s.completedAt }),
    ...(s?.exitCode === undefined ? {} : { exit_code: s.exitCode }),
    ...(s?.message === undefined ? {} : { message: s.message }),
  };
}

/**
 * True when `inv` is `app`'s: owned by the App (scheduled runs) or by one of its Deployments
 * (deploy hooks, ADR 0025), whose uids are `deployments`.
 */
function ownedBy(inv: JobInvocation, app: App, deployments: ReadonlySet<string>): boolean {
  return (inv.metadata.ownerReferences ?? []).some(
    (r) =>
      (r.kind === "App" && r.uid === app.metadata.uid) || (r.kind === "Deployment" && deployments.has(r.uid)),
  );
}

/** The uids of `app`'s Deployments (not those of an earlier app of the same name). */
export async function deploymentUids(deps: ApiDeps, app: App): Promise<Set<string>> {
  const { items } = await deps.store.list<Deployment>(DEPLOYMENT_KIND, {
    namespace: app.metadata.namespace ?? "",
    labelSelector: `${LABELS.app}=${app.metadata.name}`,
  });
  return new Set(items.filter((d) => d.spec.appUid === app.metadata.uid).map((d) => d.metadata.uid));
}

/** The invocation `id` of `app`; not_found (never another app's invocation) otherwise. */
export async function findInvocation(deps: ApiDeps, app: App, id: string): Promise<JobInvocation> {
  const notFound = new SlipwayError(
    "not_found",
    `job invocation ${JSON.stringify(id)} of app ${app.metadata.name} not found; see \`slipway apps list-job-invocations ${app.metadata.name}\``,
  );
  try {
    const inv = await deps.store.get<JobInvocation>(JOB_INVOCATION_KIND, {
      namespace: app.metadata.namespace ?? "",
      name: id,
    });
    if (!ownedBy(inv, app, await deploymentUids(deps, app))) throw notFound;
    return inv;
  } catch (err) {
    if (isErrorCode(err, "not_found") || isErrorCode(err, "invalid_argument")) throw notFound;
    throw err;
  }
}

const listJobInvocations: Handler<Routes["listJobInvocations"]> = async ({
  deps,
  principal,
  params,
  query,
}) => {
  const app = await findApp(deps, principal, params.app);
  const selector = [`${LABELS.app}=${app.metadata.name}`];
  // Label values are DNS labels; anything else matches nothing, so it must not reach the selector parser.
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  for (const [key, value] of [
    [JOB_LABEL, query.job_name],
    [LABELS.deployment, query.deployment],
  ] as const) {
    if (value === undefined) continue;
    if (!label.test(value)) return { job_invocations: [] };
    selector.push(`${key}=${value}`);
  }
  const { items } = await deps.store.list<JobInvocation>(JOB_INVOCATION_KIND, {
    namespace: principal.team,
    labelSelector: selector.join(","),
  });
  const deployments = await deploymentUids(deps, app);
  const newestFirst = (a: JobInvocation, b: JobInvocation) =>
    b.spec.scheduledAt.localeCompare(a.spec.scheduledAt) || a.metadata.name.localeCompare(b.metadata.name);
  return {
    job_invocations: items
      .filter((i) => ownedBy(i, app, deployments))
      .sort(newestFirst)
      .map(jobInvocationJson),
  };
};

const getJobInvocation: Handler<Routes["getJobInvocation"]> = async ({ deps, principal, params }) => {
  const app = await findApp(deps, principal, params.app);
  return { job_invocation: jobInvocationJson(await findInvocation(deps, app, params.invocation)) };
};

const cancelJobInvocation: Handler<Routes["cancelJobInvocation"]> = async ({
  deps,
  principal,
  params,
  setTarget,
}) => {
  const app = await findApp(deps, principal, params.app);
  setTarget(`app/${app.metadata.name}/job-invocation/${params.invocation}`);
  for (let attempt = 1; ; attempt++) {
    const inv = await findInvocation(deps, app, params.invocation);
    const phase = inv.status?.phase ?? "PENDING";
    if (TERMINAL_JOB_INVOCATION_PHASES.includes(phase)) {
      throw new SlipwayError(
        "failed_precondition",
        `job invocation ${inv.metadata.name} is ${phase}; only a PENDING or RUNNING invocation can be canceled`,
      );
    }
    if (inv.spec.canceled === true) return { job_invocation: jobInvocationJson(inv) };
    try {
      const canceled = await deps.store.update<JobInvocation>({
        ...inv,
        spec: { ...inv.spec, canceled: true },
      });
      return { job_invocation: jobInvocationJson(canceled) };
    } catch (err) {
      // The controller writes status meanwhile: re-read and try again.
      if (!isErrorCode(err, "conflict") || attempt >= 5) throw err;
    }
  }
};

/** The job invocation route handlers. */
export const jobHandlers = { listJobInvocations, getJobInvocation, cancelJobInvocation };
