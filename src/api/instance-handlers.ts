/**
 * `GET /v1/apps/{app}/instances`: the app's running instances (DO's list-instances), with what the
 * runtime observed: phase, readiness, address, restarts and the last termination.
 */
import { INSTANCE_KIND, type Instance, LABELS } from "../resources/index.js";
import { findApp, type Handler } from "./call.js";
import type { InstanceJson } from "./instance-schemas.js";
import type { Routes } from "./routes.js";

/** An Instance on the wire. */
export function instanceJson(i: Instance): InstanceJson {
  const s = i.status;
  return {
    instance_name: i.metadata.name,
    component_name: i.spec.component,
    component_type: i.spec.componentKind === "services" ? "SERVICE" : "WORKER",
    deployment_id: i.spec.deployment,
    phase: s?.phase ?? "Pending",
    ready: s?.ready ?? false,
    draining: i.spec.draining === true,
    ...(i.spec.suspended === true ? { suspended: true } : {}),
    restarts: s?.restarts ?? 0,
    ...(s?.address === undefined ? {} : { address: s.address }),
    ...(s?.port === undefined ? {} : { port: s.port }),
    created_at: i.metadata.creationTimestamp,
    ...(s?.startedAt === undefined ? {} : { started_at: s.startedAt }),
    ...(s?.readyAt === undefined ? {} : { ready_at: s.readyAt }),
    ...(s?.message === undefined ? {} : { message: s.message }),
    ...(s?.lastTermination === undefined ? {} : { last_termination: s.lastTermination }),
  };
}

const listInstances: Handler<Routes["listInstances"]> = async ({ deps, principal, params }) => {
  const app = await findApp(deps, principal, params.app);
  const { items } = await deps.store.list<Instance>(INSTANCE_KIND, {
    namespace: principal.team,
    labelSelector: `${LABELS.app}=${app.metadata.name}`,
  });
  const mine = items.filter((i) => i.spec.appUid === app.metadata.uid);
  mine.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return { instances: mine.map(instanceJson) };
};

/** The instance route handlers. */
export const instanceHandlers = { listInstances };
