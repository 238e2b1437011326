/**
 * The logs route: BUILD logs of a deployment's Builds from the log store, as NDJSON entries, read
 * once or followed until every Build of the deployment finished. DigitalOcean answers with URLs to
 * fetch (`live_url`, `historic_urls`); Slipway streams the entries in the same response instead.
 */

import type { LogEntry } from "../observe/index.js";
import {
  type App,
  BUILD_KIND,
  type Build,
  type Deployment,
  LABELS,
  SlipwayError,
  TERMINAL_BUILD_PHASES,
} from "../resources/index.js";
import { type ApiDeps, findApp, type Handler } from "./call.js";
import { findDeployment, newestFirst } from "./deployment-handlers.js";
import { jobLogs, wantsJobLogs } from "./job-log-handler.js";
import { ndjsonResponse } from "./log-streams.js";
import type { Routes } from "./routes.js";

/** The deployment whose logs are shown when none is named: the newest. */
async function defaultDeployment(deps: ApiDeps, app: App): Promise<Deployment> {
  const { items } = await deps.store.list<Deployment>("Deployment", {
    namespace: app.metadata.namespace ?? "",
    labelSelector: `${LABELS.app}=${app.metadata.name}`,
  });
  const newest = items.filter((d) => d.spec.appUid === app.metadata.uid).sort(newestFirst)[0];
  if (newest === undefined)
    throw new SlipwayError("not_found", `app ${app.metadata.name} has no deployments yet, so no logs`);
  return newest;
}

const getLogs: Handler<Routes["getLogs"]> = async ({ deps, principal, params, query, signal }) => {
  if (await wantsJobLogs(deps, principal, params.app, query))
    return jobLogs(deps, principal, params.app, query, signal);
  const type = query.type ?? "BUILD";
  if (type !== "BUILD")
    throw new SlipwayError(
      "failed_precondition",
      `${type} logs come from running instances, which this server does not run yet; BUILD logs are available`,
    );
  if (deps.logs === undefined)
    throw new SlipwayError("unavailable", "this server keeps no logs (it was started without a log store)");
  const logs = deps.logs;
  const app = await findApp(deps, principal, params.app);
  const deployment =
    query.deployment === undefined
      ? await defaultDeployment(deps, app)
      : await findDeployment(deps, app, query.deployment);
  const namespace = app.metadata.namespace ?? "";
  const { items } = await deps.store.list<Build>(BUILD_KIND, {
    namespace,
    labelSelector: `${LABELS.deployment}=${deployment.metadata.name}`,
  });
  const builds = items.filter(
    (b) => query.component_name === undefined || b.spec.component === query.component_name,
  );
  if (query.component_name !== undefined && builds.length === 0)
    throw new SlipwayError(
      "not_found",
      `deployment ${deployment.metadata.name} has no build of a component named ${JSON.stringify(query.component_name)}`,
    );
  const tail = query.tail_lines === undefined ? undefined : Number(query.tail_lines);
  const tailOption = tail === undefined || tail < 0 ? {} : { tailLines: tail };
  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort(), { once: true });
  const streams = builds.map(async function* (build): AsyncIterable<LogEntry & { component: string }> {
    const id = { namespace, type: "BUILD" as const, name: build.metadata.name };
    const entries =
      query.follow === "true"
        ? logs.follow(id, {
            ...tailOption,
            signal: abort.signal,
            isDone: async () => {
              const now = await deps.store.get<Build>(BUILD_KIND, { namespace, name: build.metadata.name });
              return TERMINAL_BUILD_PHASES.includes(now.status?.phase ?? "PENDING");
            },
          })
        : await logs.read(id, tailOption);
    for await (const entry of entries) yield { component: build.spec.component, ...entry };
  });
  return ndjsonResponse(streams, abort);
};

/** The log route handlers. */
export const logHandlers = { getLogs };
