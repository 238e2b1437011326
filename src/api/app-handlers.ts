/**
 * Handlers of the app routes: list (and watch), create, propose, get, update, delete.
 */
import { API_VERSION, type App, type AppSource, isErrorCode, SlipwayError } from "../resources/index.js";
import { encryptSpecSecrets, redactSpecSecrets, secretContext } from "../secrets/index.js";
import { type AppSpec, normalize } from "../spec/index.js";
import { type ApiDeps, findApp, type Handler } from "./call.js";
import { type AppSourceJson, checkInlineFiles } from "./inline-files.js";
import { proposeFromSource } from "./propose-source.js";
import type { Routes } from "./routes.js";
import { watchResponse } from "./watch-response.js";
import { appJson, UPDATED_AT_ANNOTATION } from "./wire.js";

/** DigitalOcean app names are at most 32 characters. */
const MAX_APP_NAME = 32;

const listApps: Handler<Routes["listApps"]> = async ({ deps, principal, query, signal }) => {
  const toJson = (app: App) => appJson(deps.store, app, deps.baseDomain);
  if (query.watch === "true") {
    return watchResponse<App, unknown>({
      store: deps.store,
      kind: "App",
      namespace: principal.team,
      toJson,
      signal,
    });
  }
  const { items } = await deps.store.list<App>("App", { namespace: principal.team });
  return { apps: await Promise.all(items.map(toJson)) };
};

/** The App's source from a create/update body; checks that an upload exists. */
async function appSource(
  deps: ApiDeps,
  body: { source?: AppSourceJson } | undefined,
): Promise<AppSource | undefined> {
  const source = body?.source;
  if (source === undefined) return undefined;
  if ("files" in source) return { kind: "files", files: checkInlineFiles(source.files) };
  if (deps.uploads === undefined || !(await deps.uploads.has(source.upload))) {
    const message = `no upload ${source.upload} on this server; upload the folder first (POST /v1/sources)`;
    throw new SlipwayError("invalid_argument", message, { details: [{ path: "source.upload", message }] });
  }
  return { kind: "upload", digest: source.upload };
}

/**
 * The spec as it is stored: SECRET values encrypted for this app (an unchanged secret keeps its
 * stored envelope, so resending a spec changes nothing).
 */
function sealed(deps: ApiDeps, team: string, spec: AppSpec, previous?: AppSpec): AppSpec {
  if (deps.secrets === undefined) return spec;
  const context = secretContext({ namespace: team, name: spec.name });
  return encryptSpecSecrets(spec, deps.secrets, context, previous === undefined ? {} : { previous });
}

const createApp: Handler<Routes["createApp"]> = async (call) => {
  const { deps, principal } = call;
  const source = await appSource(deps, call.body);
  const spec = sealed(deps, principal.team, call.validSpec({ appSource: source !== undefined }).spec);
  call.setTarget(`app/${spec.name}`);
  let app: App;
  try {
    app = await deps.store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: {
        name: spec.name,
        namespace: principal.team,
        annotations: { [UPDATED_AT_ANNOTATION]: deps.now().toISOString() },
      },
      spec: { appSpec: spec, ...(source === undefined ? {} : { source }) },
    });
  } catch (err) {
    if (!isErrorCode(err, "already_exists")) throw err;
    const message = `an app named "${spec.name}" already exists in team ${principal.team}; choose another name`;
    throw new SlipwayError("already_exists", message, { details: [{ path: "name", message }] });
  }
  return { app: await appJson(deps.store, app, deps.baseDomain) };
};

async function nameTaken(
  deps: ApiDeps,
  team: string,
  name: string,
  appId: string | undefined,
): Promise<boolean> {
  try {
    const app = await deps.store.get<App>("App", { namespace: team, name });
    return appId === undefined || (app.metadata.uid !== appId && app.metadata.name !== appId);
  } catch (err) {
    if (isErrorCode(err, "not_found")) return false;
    throw err;
  }
}

const proposeApp: Handler<Routes["proposeApp"]> = async (call) => {
  const fromSource =
    call.body.source === undefined ? undefined : await proposeFromSource(call.deps, call.body, call.signal);
  const result = fromSource?.result ?? call.validSpec();
  const name = result.spec.name;
  const taken = await nameTaken(call.deps, call.principal.team, name, call.body.app_id);
  let suggestion: string | undefined;
  for (let n = 2; taken && suggestion === undefined && n < 100; n++) {
    const candidate = `${name.slice(0, MAX_APP_NAME - String(n).length - 1)}-${n}`;
    if (!(await nameTaken(call.deps, call.principal.team, candidate, undefined))) suggestion = candidate;
  }
  return {
    spec: redactSpecSecrets(normalize(result.spec)),
    errors: [],
    warnings: result.warnings,
    app_name_available: !taken,
    ...(suggestion === undefined ? {} : { app_name_suggestion: suggestion }),
    ...(fromSource === undefined ? {} : { detections: fromSource.detections }),
  };
};

const getApp: Handler<Routes["getApp"]> = async ({ deps, principal, params, setTarget }) => {
  const app = await findApp(deps, principal, params.app);
  setTarget(`app/${app.metadata.name}`);
  return { app: await appJson(deps.store, app, deps.baseDomain) };
};

const updateApp: Handler<Routes["updateApp"]> = async (call) => {
  const { deps, principal, params } = call;
  const app = await findApp(deps, principal, params.app);
  call.setTarget(`app/${app.metadata.name}`);
  // Without a source in the body the app keeps the code it has.
  const source = (await appSource(deps, call.body)) ?? app.spec.source;
  const spec = sealed(
    deps,
    principal.team,
    call.validSpec({ appSource: source !== undefined }).spec,
    app.spec.appSpec,
  );
  if (spec.name !== app.metadata.name) {
    const message = `renaming an app is not supported: the app is "${app.metadata.name}", the spec says "${spec.name}"`;
    throw new SlipwayError("invalid_argument", message, { details: [{ path: "name", message }] });
  }
  const updated = await deps.store.update<App>({
    ...app,
    metadata: {
      ...app.metadata,
      annotations: { ...app.metadata.annotations, [UPDATED_AT_ANNOTATION]: deps.now().toISOString() },
    },
    spec: { appSpec: spec, ...(source === undefined ? {} : { source }) },
  });
  return { app: await appJson(deps.store, updated, deps.baseDomain) };
};

const deleteApp: Handler<Routes["deleteApp"]> = async ({ deps, principal, params, setTarget }) => {
  const app = await findApp(deps, principal, params.app);
  setTarget(`app/${app.metadata.name}`);
  await deps.store.delete("App", { namespace: principal.team, name: app.metadata.name });
  return { id: app.metadata.uid };
};

/** The app route handlers. */
export const appHandlers = { listApps, createApp, proposeApp, getApp, updateApp, deleteApp };
