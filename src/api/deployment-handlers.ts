/**
 * Handlers of the deployment routes: list (and watch), create (manual), get, cancel, rollback,
 * restart. Manual deployments, rollbacks and restarts are built with `newDeployment`; the
 * controllers take them from there.
 */
import {
  type App,
  type Deployment,
  isErrorCode,
  LABELS,
  liveAppSpec,
  type NewDeploymentOptions,
  newDeployment,
  SlipwayError,
  TERMINAL_PHASES,
} from "../resources/index.js";
import { type AppSpec, COMPONENT_LISTS } from "../spec/index.js";
import { type ApiDeps, findApp, type Handler } from "./call.js";
import type { Routes } from "./routes.js";
import { watchResponse } from "./watch-response.js";
import { deploymentJson } from "./wire.js";

/** The annotation naming the components a restart deployment restarts (comma-separated; all when absent). */
export const RESTART_COMPONENTS_ANNOTATION = "slipway.dev/restart-components";

/** Orders deployments newest first, as DigitalOcean lists them. */
export function newestFirst(a: Deployment, b: Deployment): number {
  const byTime = b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp);
  return byTime !== 0 ? byTime : Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion);
}

/** The deployment `id` of `app`; not_found (never another app's deployment) otherwise. */
export async function findDeployment(deps: ApiDeps, app: App, id: string): Promise<Deployment> {
  const notFound = new SlipwayError(
    "not_found",
    `deployment ${JSON.stringify(id)} of app ${app.metadata.name} not found`,
  );
  try {
    const d = await deps.store.get<Deployment>("Deployment", {
      namespace: app.metadata.namespace ?? "",
      name: id,
    });
    if (d.spec.appUid !== app.metadata.uid) throw notFound;
    return d;
  } catch (err) {
    if (isErrorCode(err, "not_found") || isErrorCode(err, "invalid_argument")) throw notFound;
    throw err;
  }
}

/** A new deployment of `app` under a fresh id, which becomes the call's audit target. */
function nextDeployment(
  deps: ApiDeps,
  app: App,
  setTarget: (target: string) => void,
  options: Omit<NewDeploymentOptions, "name" | "now">,
) {
  const name = deps.randomId();
  setTarget(`app/${app.metadata.name}/deployment/${name}`);
  return newDeployment(app, { ...options, name, now: deps.now() });
}

/** `previousDeployment` for a deployment that follows the app's active one, if any. */
function afterActive(app: App): { previousDeployment?: string } {
  const previous = app.status?.activeDeployment;
  return previous === undefined ? {} : { previousDeployment: previous };
}

async function create(deps: ApiDeps, object: ReturnType<typeof newDeployment>) {
  return { deployment: deploymentJson(await deps.store.create<Deployment>(object)) };
}

const listDeployments: Handler<Routes["listDeployments"]> = async ({
  deps,
  principal,
  params,
  query,
  signal,
}) => {
  const app = await findApp(deps, principal, params.app);
  const include = (d: Deployment) => d.spec.appUid === app.metadata.uid;
  const labelSelector = `${LABELS.app}=${app.metadata.name}`;
  if (query.watch === "true") {
    return watchResponse<Deployment, unknown>({
      store: deps.store,
      kind: "Deployment",
      namespace: principal.team,
      labelSelector,
      include,
      toJson: async (d) => deploymentJson(d),
      signal,
      sort: newestFirst,
    });
  }
  const { items } = await deps.store.list<Deployment>("Deployment", {
    namespace: principal.team,
    labelSelector,
  });
  return { deployments: items.filter(include).sort(newestFirst).map(deploymentJson) };
};

const createDeployment: Handler<Routes["createDeployment"]> = async ({
  deps,
  principal,
  params,
  body,
  setTarget,
}) => {
  const app = await findApp(deps, principal, params.app);
  return create(
    deps,
    nextDeployment(deps, app, setTarget, {
      cause: "manual",
      causeDetails: { type: "MANUAL", action: "CREATE_DEPLOYMENT", actor: principal.user },
      forceBuild: body.force_build ?? false,
      ...afterActive(app),
    }),
  );
};

const getDeployment: Handler<Routes["getDeployment"]> = async ({ deps, principal, params }) => {
  const app = await findApp(deps, principal, params.app);
  return { deployment: deploymentJson(await findDeployment(deps, app, params.deployment)) };
};

const cancelDeployment: Handler<Routes["cancelDeployment"]> = async ({
  deps,
  principal,
  params,
  setTarget,
}) => {
  const app = await findApp(deps, principal, params.app);
  setTarget(`app/${app.metadata.name}/deployment/${params.deployment}`);
  // A controller may write the status between our read and write: re-read and retry on conflict.
  for (let attempt = 1; ; attempt++) {
    const d = await findDeployment(deps, app, params.deployment);
    const status = d.status;
    if (status === undefined || TERMINAL_PHASES.includes(status.phase)) {
      throw new SlipwayError(
        "failed_precondition",
        `deployment ${d.metadata.name} is ${status?.phase ?? "UNKNOWN"}; only an unfinished deployment can be canceled`,
      );
    }
    try {
      const at = deps.now().toISOString();
      const canceled = await deps.store.updateStatus<Deployment>({
        ...d,
        status: { ...status, phase: "CANCELED", phaseLastUpdatedAt: at },
      });
      return { deployment: deploymentJson(canceled) };
    } catch (err) {
      if (!isErrorCode(err, "conflict") || attempt >= 5) throw err;
    }
  }
};

const rollbackApp: Handler<Routes["rollbackApp"]> = async ({ deps, principal, params, body, setTarget }) => {
  const app = await findApp(deps, principal, params.app);
  const target = await findDeployment(deps, app, body.deployment_id);
  const phase = target.status?.phase;
  if (phase !== "ACTIVE" && phase !== "SUPERSEDED") {
    throw new SlipwayError(
      "failed_precondition",
      `deployment ${target.metadata.name} is ${phase ?? "UNKNOWN"}; only a deployment that went live (ACTIVE or SUPERSEDED) can be rolled back to`,
      { details: [{ path: "deployment_id", message: `deployment is ${phase ?? "UNKNOWN"}` }] },
    );
  }
  return create(
    deps,
    nextDeployment(deps, app, setTarget, {
      cause: `rollback to ${target.metadata.name}`,
      causeDetails: { type: "MANUAL_ROLLBACK", action: "ROLLBACK_APP", actor: principal.user },
      appSpec: liveAppSpec(target),
      ...(target.spec.source === undefined ? {} : { source: target.spec.source }),
      clonedFrom: target.metadata.name,
      ...afterActive(app),
    }),
  );
};

function componentNames(spec: AppSpec): string[] {
  const names: string[] = [];
  for (const list of COMPONENT_LISTS) for (const c of spec[list] ?? []) names.push(c.name);
  return names;
}

const restartApp: Handler<Routes["restartApp"]> = async ({ deps, principal, params, body, setTarget }) => {
  const app = await findApp(deps, principal, params.app);
  // Restart what runs: the active deployment's spec, or the app's spec before anything went live.
  const activeName = app.status?.activeDeployment;
  const active = activeName === undefined ? undefined : await findDeployment(deps, app, activeName);
  const spec = active === undefined ? app.spec.appSpec : liveAppSpec(active);
  const source = active === undefined ? app.spec.source : active.spec.source;
  const known = componentNames(spec);
  const requested = body.components ?? [];
  const details = requested.flatMap((c, i) =>
    known.includes(c)
      ? []
      : [
          {
            path: `components[${i}]`,
            message: `no component named "${c}"; the app has: ${known.join(", ")}`,
          },
        ],
  );
  const first = details[0];
  if (first !== undefined)
    throw new SlipwayError("invalid_argument", `${first.path}: ${first.message}`, { details });
  const object = nextDeployment(deps, app, setTarget, {
    cause: "restart",
    causeDetails: { type: "MANUAL", action: "RESTART", actor: principal.user },
    appSpec: spec,
    ...(source === undefined ? {} : { source }),
    ...(active === undefined
      ? {}
      : { clonedFrom: active.metadata.name, previousDeployment: active.metadata.name }),
  });
  if (requested.length > 0) {
    object.metadata.annotations = { [RESTART_COMPONENTS_ANNOTATION]: requested.join(",") };
  }
  return create(deps, object);
};

/** The deployment route handlers. */
export const deploymentHandlers = {
  listDeployments,
  createDeployment,
  getDeployment,
  cancelDeployment,
  rollbackApp,
  restartApp,
};
