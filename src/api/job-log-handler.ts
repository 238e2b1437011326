/**
 * JOB_INVOCATION logs on the logs route (ADR 0025): what a job run printed, from the log store's
 * JOB_INVOCATION stream of the invocation. `?job_invocation=` names one run; otherwise the newest
 * run of each job (of `component_name`, of `deployment`) is shown. Without `type`, a component
 * that is a job with at least one run shows its runs' output (doctl's default type is the
 * component's run output, `run`; for a job that is its invocation), so `slipway apps logs APP
 * JOB` answers with what the job printed.
 */
import type { LogEntry, LogStore } from "../observe/index.js";
import {
  type App,
  JOB_INVOCATION_KIND,
  JOB_LABEL,
  type JobInvocation,
  LABELS,
  SlipwayError,
  TERMINAL_JOB_INVOCATION_PHASES,
} from "../resources/index.js";
import { type ApiDeps, type Call, findApp } from "./call.js";
import { deploymentUids, findInvocation } from "./job-handlers.js";
import { ndjsonResponse } from "./log-streams.js";
import type { Routes } from "./routes.js";

type LogsCall = Call<Routes["getLogs"]>;
type LogsQuery = LogsCall["query"];

/** The app's invocations matching the query's job and deployment (all runs, any order). */
async function matching(deps: ApiDeps, app: App, query: LogsQuery): Promise<JobInvocation[]> {
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const selector = [`${LABELS.app}=${app.metadata.name}`];
  for (const [key, value] of [
    [JOB_LABEL, query.component_name],
    [LABELS.deployment, query.deployment],
  ] as const) {
    if (value === undefined) continue;
    if (!label.test(value)) return [];
    selector.push(`${key}=${value}`);
  }
  const { items } = await deps.store.list<JobInvocation>(JOB_INVOCATION_KIND, {
    namespace: app.metadata.namespace ?? "",
    labelSelector: selector.join(","),
  });
  const mine = await deploymentUids(deps, app);
  return items.filter((i) =>
    (i.metadata.ownerReferences ?? []).some((r) => r.uid === app.metadata.uid || mine.has(r.uid)),
  );
}

/** The newest run of each job among `runs`. */
function newestOfEachJob(runs: readonly JobInvocation[]): JobInvocation[] {
  const newest = new Map<string, JobInvocation>();
  for (const run of runs) {
    const seen = newest.get(run.spec.job);
    const key = (i: JobInvocation) => `${i.metadata.creationTimestamp} ${i.metadata.name}`;
    if (seen === undefined || key(run) > key(seen)) newest.set(run.spec.job, run);
  }
  return [...newest.values()].sort((a, b) => a.spec.job.localeCompare(b.spec.job));
}

/** True when the logs call is for job runs: `type=JOB_INVOCATION`, or no type and a job that ran. */
export async function wantsJobLogs(
  deps: ApiDeps,
  principal: LogsCall["principal"],
  appName: string,
  query: LogsQuery,
): Promise<boolean> {
  if (query.type === "JOB_INVOCATION") return true;
  if (query.type !== undefined) return false;
  if (query.job_invocation !== undefined) return true;
  if (query.component_name === undefined) return false;
  const app = await findApp(deps, principal, appName);
  return (await matching(deps, app, query)).length > 0;
}

function runLog(
  deps: ApiDeps,
  logs: LogStore,
  run: JobInvocation,
  query: LogsQuery,
  signal: AbortSignal,
): AsyncIterable<LogEntry & { component: string }> {
  const namespace = run.metadata.namespace ?? "";
  const id = { namespace, type: "JOB_INVOCATION" as const, name: run.metadata.name };
  const tail = query.tail_lines === undefined ? undefined : Number(query.tail_lines);
  const tailOption = tail === undefined || tail < 0 ? {} : { tailLines: tail };
  return (async function* () {
    const entries =
      query.follow === "true"
        ? logs.follow(id, {
            ...tailOption,
            signal,
            isDone: async () => {
              const now = await deps.store.get<JobInvocation>(JOB_INVOCATION_KIND, {
                namespace,
                name: run.metadata.name,
              });
              return TERMINAL_JOB_INVOCATION_PHASES.includes(now.status?.phase ?? "PENDING");
            },
          })
        : await logs.read(id, tailOption);
    for await (const entry of entries) yield { component: run.spec.job, ...entry };
  })();
}

/** Answers the logs call with the output of the job runs it names. */
export async function jobLogs(
  deps: ApiDeps,
  principal: LogsCall["principal"],
  appName: string,
  query: LogsQuery,
  signal: AbortSignal,
): Promise<Response> {
  if (deps.logs === undefined)
    throw new SlipwayError("unavailable", "this server keeps no logs (it was started without a log store)");
  const logs = deps.logs;
  const app = await findApp(deps, principal, appName);
  const runs =
    query.job_invocation !== undefined
      ? [await findInvocation(deps, app, query.job_invocation)]
      : newestOfEachJob(await matching(deps, app, query));
  if (runs.length === 0)
    throw new SlipwayError(
      "not_found",
      `app ${app.metadata.name} has no job runs${query.component_name === undefined ? "" : ` of ${JSON.stringify(query.component_name)}`}${query.deployment === undefined ? "" : ` in deployment ${query.deployment}`}; see \`slipway apps list-job-invocations ${app.metadata.name}\``,
    );
  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort(), { once: true });
  return ndjsonResponse(
    runs.map((run) => runLog(deps, logs, run, query, abort.signal)),
    abort,
  );
}
