/**
 * Converts stored resources to the API's DigitalOcean-shaped JSON.
 */
import {
  type App,
  BUILT_COMPONENT_LISTS,
  type BuiltComponentKind,
  type Deployment,
  isErrorCode,
  liveAppSpec,
} from "../resources/index.js";
import { redactSpecSecrets } from "../secrets/index.js";
import type { Store } from "../store/index.js";
import type { AppJson, DeploymentComponentJson, DeploymentJson } from "./schemas.js";

/** The annotation holding an App's last spec change time (the store keeps only creation time). */
export const UPDATED_AT_ANNOTATION = "slipway.dev/updated-at";

/** A Deployment as DigitalOcean shows it; its id is its object name. */
export function deploymentJson(d: Deployment): DeploymentJson {
  const { causeDetails } = d.spec;
  const status = d.status ?? {
    phase: "UNKNOWN",
    phaseLastUpdatedAt: d.metadata.creationTimestamp,
    progress: {
      pending_steps: 0,
      running_steps: 0,
      success_steps: 0,
      error_steps: 0,
      total_steps: 0,
      steps: [],
    },
  };
  return {
    id: d.metadata.name,
    cause: d.spec.cause,
    cause_details: {
      type: causeDetails.type,
      ...(causeDetails.action === undefined
        ? {}
        : {
            digitalocean_user_action: {
              user: { full_name: causeDetails.actor ?? "" },
              name: causeDetails.action,
            },
          }),
    },
    phase: status.phase,
    progress: status.progress,
    spec: redactSpecSecrets(liveAppSpec(d)),
    created_at: d.metadata.creationTimestamp,
    // The phase time of a new deployment is taken just before the store stamps its creation.
    updated_at: [status.phaseLastUpdatedAt, d.metadata.creationTimestamp].sort()[1] as string,
    phase_last_updated_at: status.phaseLastUpdatedAt,
    ...(d.spec.clonedFrom === undefined ? {} : { cloned_from: d.spec.clonedFrom }),
    ...(d.spec.previousDeployment === undefined ? {} : { previous_deployment_id: d.spec.previousDeployment }),
    ...componentLists(d),
  };
}

/** DO's per-kind component lists, when the builds recorded something. */
function componentLists(d: Deployment): Partial<Record<BuiltComponentKind, DeploymentComponentJson[]>> {
  const { artifacts, sourceCommits, builders } = d.status ?? {};
  if (artifacts === undefined && sourceCommits === undefined) return {};
  const out: Partial<Record<BuiltComponentKind, DeploymentComponentJson[]>> = {};
  for (const kind of BUILT_COMPONENT_LISTS) {
    const names = (d.spec.appSpec[kind] ?? []).map((c) => c.name);
    if (names.length === 0) continue;
    out[kind] = names.map((name) => ({
      name,
      ...(sourceCommits?.[name] === undefined ? {} : { source_commit_hash: sourceCommits[name] }),
      ...(artifacts?.[name] === undefined ? {} : { artifact_id: artifacts[name] }),
      ...(builders?.[name] === undefined ? {} : { builder: builders[name] }),
    }));
  }
  return out;
}

async function embedded(
  store: Store,
  app: App,
  name: string | undefined,
): Promise<DeploymentJson | undefined> {
  if (name === undefined) return undefined;
  try {
    const d = await store.get<Deployment>("Deployment", { namespace: app.metadata.namespace ?? "", name });
    return deploymentJson(d);
  } catch (err) {
    // A status may briefly name a deployment that was just garbage-collected.
    if (isErrorCode(err, "not_found")) return undefined;
    throw err;
  }
}

/** An App as DigitalOcean shows it, with its active, in-progress and pending deployments embedded. */
export async function appJson(store: Store, app: App, baseDomain: string): Promise<AppJson> {
  const status = app.status ?? {};
  const [active, inProgress, pending] = await Promise.all([
    embedded(store, app, status.activeDeployment),
    embedded(store, app, status.inProgressDeployment),
    embedded(store, app, status.pendingDeployment),
  ]);
  return {
    id: app.metadata.uid,
    spec: redactSpecSecrets(app.spec.appSpec),
    // Live once a deployment is ACTIVE: the router serves the active deployment.
    live_url:
      status.liveUrl ??
      (status.activeDeployment === undefined ? "" : `http://${app.metadata.name}.${baseDomain}`),
    default_ingress: status.defaultIngress ?? `http://${app.metadata.name}.${baseDomain}`,
    ...(active === undefined ? {} : { active_deployment: active }),
    ...(inProgress === undefined ? {} : { in_progress_deployment: inProgress }),
    ...(pending === undefined ? {} : { pending_deployment: pending }),
    created_at: app.metadata.creationTimestamp,
    updated_at: app.metadata.annotations?.[UPDATED_AT_ANNOTATION] ?? app.metadata.creationTimestamp,
    ...(status.lastDeploymentCreatedAt === undefined
      ? {}
      : { last_deployment_created_at: status.lastDeploymentCreatedAt }),
  };
}
