/**
 * The route table: every endpoint of the API, declared once. Request validation, the OpenAPI
 * document and the typed client are all derived from it.
 */
import { type Static, type TObject, type TSchema, Type } from "@sinclair/typebox";
import { InstanceListResponse } from "./instance-schemas.js";
import {
  JobInvocationListResponse,
  JobInvocationParams,
  JobInvocationResponse,
  JobInvocationsQuery,
} from "./job-schemas.js";
import { NodeResponse } from "./node-schemas.js";
import {
  AppBody,
  AppListResponse,
  AppParams,
  AppResponse,
  AppSchema,
  AuditListResponse,
  CreateDeploymentBody,
  CreateTeamBody,
  CreateTokenBody,
  CreateTokenResponse,
  DeletedResponse,
  DeploymentListResponse,
  DeploymentParams,
  DeploymentResponse,
  DeploymentSchema,
  LogEntrySchema,
  LogsQuery,
  ProposeBody,
  ProposeResponse,
  RestartBody,
  RollbackBody,
  TeamResponse,
  UploadResponse,
  WatchQuery,
} from "./schemas.js";

/** Who may call a route: anyone, any role of the team, members and owners, owners, or the admin. */
export type Access = "public" | "read" | "write" | "owner" | "admin";

/** One endpoint. `path` uses OpenAPI `{param}` syntax. */
export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  summary: string;
  access: Access;
  /** The success status. */
  status: 200 | 201 | 202;
  params?: TObject;
  query?: TObject;
  body?: TSchema;
  response: TSchema;
  /** The body may also be an app spec as `application/yaml` (the body is then `{spec: <the YAML>}`). */
  yamlSpecBody?: boolean;
  /** With `?watch=true`, the route streams newline-delimited `{type, object}` events of this schema. */
  watchItem?: TSchema;
  /** The success body is newline-delimited JSON: one `response` per line, streamed. */
  ndjson?: boolean;
  /** The body is raw bytes of one of these content types (not JSON), up to `maxBytes`. */
  rawBody?: { types: readonly string[]; maxBytes: number };
}

/** Every route of the API, by operation id. */
export const routes = {
  listApps: {
    method: "GET",
    path: "/v1/apps",
    summary: "List the team's apps; ?watch=true streams app events",
    access: "read",
    status: 200,
    query: WatchQuery,
    response: AppListResponse,
    watchItem: AppSchema,
  },
  createApp: {
    method: "POST",
    path: "/v1/apps",
    summary: "Create an app from a spec",
    access: "write",
    status: 201,
    body: AppBody,
    response: AppResponse,
    yamlSpecBody: true,
  },
  proposeApp: {
    method: "POST",
    path: "/v1/apps/propose",
    summary: "Validate and normalize a spec without creating anything",
    access: "read",
    status: 200,
    body: ProposeBody,
    response: ProposeResponse,
    yamlSpecBody: true,
  },
  getApp: {
    method: "GET",
    path: "/v1/apps/{app}",
    summary: "Get an app by id or name",
    access: "read",
    status: 200,
    params: AppParams,
    response: AppResponse,
  },
  updateApp: {
    method: "PUT",
    path: "/v1/apps/{app}",
    summary: "Replace an app's spec",
    access: "write",
    status: 200,
    params: AppParams,
    body: AppBody,
    response: AppResponse,
    yamlSpecBody: true,
  },
  deleteApp: {
    method: "DELETE",
    path: "/v1/apps/{app}",
    summary: "Delete an app",
    access: "write",
    status: 200,
    params: AppParams,
    response: DeletedResponse,
  },
  listDeployments: {
    method: "GET",
    path: "/v1/apps/{app}/deployments",
    summary: "List an app's deployments, newest first; ?watch=true streams deployment events",
    access: "read",
    status: 200,
    params: AppParams,
    query: WatchQuery,
    response: DeploymentListResponse,
    watchItem: DeploymentSchema,
  },
  createDeployment: {
    method: "POST",
    path: "/v1/apps/{app}/deployments",
    summary: "Deploy the app's current spec (cause: manual)",
    access: "write",
    status: 201,
    params: AppParams,
    body: CreateDeploymentBody,
    response: DeploymentResponse,
  },
  createSource: {
    method: "POST",
    path: "/v1/sources",
    summary:
      "Upload a source folder as a .tar.gz (at most 100 MiB); answers its digest for an app's source.upload",
    access: "write",
    status: 201,
    rawBody: {
      types: ["application/gzip", "application/x-gzip", "application/octet-stream"],
      maxBytes: 100 * 1024 * 1024,
    },
    response: UploadResponse,
  },
  getLogs: {
    method: "GET",
    path: "/v1/apps/{app}/logs",
    summary:
      "An app's logs as NDJSON entries {component, at, text}; BUILD logs of a deployment (default: the newest), ?follow=true streams until the builds finish; JOB_INVOCATION logs of job runs (?job_invocation=ID, else the newest run of each job; the default type for a job that ran)",
    access: "read",
    status: 200,
    params: AppParams,
    query: LogsQuery,
    response: LogEntrySchema,
    ndjson: true,
  },
  getDeployment: {
    method: "GET",
    path: "/v1/apps/{app}/deployments/{deployment}",
    summary: "Get one deployment",
    access: "read",
    status: 200,
    params: DeploymentParams,
    response: DeploymentResponse,
  },
  cancelDeployment: {
    method: "POST",
    path: "/v1/apps/{app}/deployments/{deployment}/cancel",
    summary: "Cancel a deployment that has not finished",
    access: "write",
    status: 200,
    params: DeploymentParams,
    response: DeploymentResponse,
  },
  listInstances: {
    method: "GET",
    path: "/v1/apps/{app}/instances",
    summary: "List the app's instances with their phase, readiness, address and restarts",
    access: "read",
    status: 200,
    params: AppParams,
    response: InstanceListResponse,
  },
  listJobInvocations: {
    method: "GET",
    path: "/v1/apps/{app}/job-invocations",
    summary: "List an app's job invocations, newest tick first; ?job_name= and ?deployment= filter",
    access: "read",
    status: 200,
    params: AppParams,
    query: JobInvocationsQuery,
    response: JobInvocationListResponse,
  },
  getJobInvocation: {
    method: "GET",
    path: "/v1/apps/{app}/job-invocations/{invocation}",
    summary: "Get one job invocation",
    access: "read",
    status: 200,
    params: JobInvocationParams,
    response: JobInvocationResponse,
  },
  cancelJobInvocation: {
    method: "POST",
    path: "/v1/apps/{app}/job-invocations/{invocation}/cancel",
    summary: "Cancel a PENDING or RUNNING job invocation",
    access: "write",
    status: 200,
    params: JobInvocationParams,
    response: JobInvocationResponse,
  },
  rollbackApp: {
    method: "POST",
    path: "/v1/apps/{app}/rollback",
    summary: "Deploy the spec of an earlier deployment again",
    access: "write",
    status: 201,
    params: AppParams,
    body: RollbackBody,
    response: DeploymentResponse,
  },
  restartApp: {
    method: "POST",
    path: "/v1/apps/{app}/restart",
    summary: "Restart some or all components (a new deployment)",
    access: "write",
    status: 201,
    params: AppParams,
    body: RestartBody,
    response: DeploymentResponse,
  },
  createToken: {
    method: "POST",
    path: "/v1/tokens",
    summary: "Create an API token for a team member; the secret is returned only here",
    access: "owner",
    status: 201,
    body: CreateTokenBody,
    response: CreateTokenResponse,
  },
  createTeam: {
    method: "POST",
    path: "/v1/teams",
    summary: "Create a team (admin only)",
    access: "admin",
    status: 201,
    body: CreateTeamBody,
    response: TeamResponse,
  },
  listAudit: {
    method: "GET",
    path: "/v1/audit",
    summary: "The audit log: the team's entries for owners, all entries for the admin",
    access: "owner",
    status: 200,
    response: AuditListResponse,
  },
  getCa: {
    method: "GET",
    path: "/v1/ca",
    summary: "The root certificate of the local CA that signs apps' HTTPS certificates (trust it once)",
    access: "read",
    status: 200,
    response: Type.Object({ certificate_pem: Type.String() }),
  },
  getNode: {
    method: "GET",
    path: "/v1/node",
    summary: "This node's status: the sandbox runtime apps run in, and warnings when it is not gVisor",
    access: "read",
    status: 200,
    response: NodeResponse,
  },
  getOpenApi: {
    method: "GET",
    path: "/v1/openapi.json",
    summary: "This API's OpenAPI 3.1 document",
    access: "public",
    status: 200,
    response: Type.Record(Type.String(), Type.Unknown()),
  },
} as const satisfies Record<string, RouteDef>;

/** The route table's type. */
export type Routes = typeof routes;
/** An operation id. */
export type RouteName = keyof Routes;

/** The path parameters of a route (`{}` when it has none). */
export type ParamsOf<R> = R extends { params: infer P extends TSchema } ? Static<P> : Record<never, never>;
/** The query of a route. */
export type QueryOf<R> = R extends { query: infer Q extends TSchema } ? Static<Q> : Record<never, never>;
/** The body of a route (`undefined` when it takes none). */
export type BodyOf<R> = R extends { body: infer B extends TSchema } ? Static<B> : undefined;
/** The success response body of a route. */
export type ResponseOf<R> = R extends { response: infer S extends TSchema } ? Static<S> : never;
/** The watch event object of a route that supports `?watch=true`. */
export type WatchItemOf<R> = R extends { watchItem: infer W extends TSchema } ? Static<W> : never;

/** What a caller passes to a route: params, query and body, each only when the route has it. */
export type InputOf<R> = (R extends { params: TSchema } ? { params: ParamsOf<R> } : { params?: undefined }) &
  (R extends { query: TSchema } ? { query?: QueryOf<R> } : { query?: undefined }) &
  (R extends { body: TSchema } ? { body: BodyOf<R> } : { body?: undefined });

/** Routes whose request body is raw bytes. */
export type RawBodyRoute = {
  [K in RouteName]: Routes[K] extends { rawBody: object } ? K : never;
}[RouteName];

/** Routes whose body is streamed NDJSON. */
export type StreamRoute = {
  [K in RouteName]: Routes[K] extends { ndjson: true } ? K : never;
}[RouteName];

/** Routes that support `?watch=true`. */
export type WatchableRoute = {
  [K in RouteName]: Routes[K] extends { watchItem: TSchema } ? K : never;
}[RouteName];

/** Converts `/v1/apps/{app}` to Hono's `/v1/apps/:app`. */
export function honoPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ":$1");
}

/** Fills `{param}`s of a path, URI-encoding each value. */
export function fillPath(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(value);
  });
}
