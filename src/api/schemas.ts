/**
 * TypeBox schemas of the API's wire shapes (snake_case, DigitalOcean App Platform style). The
 * route table uses them for request validation, the OpenAPI document and the typed client.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { DEPLOYMENT_PHASES, type ProgressStep } from "../resources/index.js";
import type { AppSpec } from "../spec/index.js";

/**
 * The keyword that marks a schema as a reference to a named component of the OpenAPI document.
 * Ajv treats it as an annotation (the node accepts anything); the OpenAPI generator replaces the
 * node with `{$ref: "#/components/schemas/<name>"}`.
 */
export const SCHEMA_REF_KEYWORD = "x-schema-ref";

function named<T>(name: string, description: string): TSchema & { static: T } {
  return Type.Unsafe<T>({ [SCHEMA_REF_KEYWORD]: name, description });
}

/** An app spec: checked by the spec validator, not by the request schema (its errors carry paths and positions). */
export const AppSpecRef = named<AppSpec>("AppSpec", "A DigitalOcean App Platform app spec");

/** One step of a deployment's progress tree (recursive; documented as an object). */
export const ProgressStepSchema = Type.Unsafe<ProgressStep>({
  type: "object",
  description:
    "A progress step: {name, status, steps[], started_at, ended_at, reason, component_name, message_base}",
});

/** A deployment's progress counters and step tree. */
export const ProgressSchema = Type.Object({
  pending_steps: Type.Integer(),
  running_steps: Type.Integer(),
  success_steps: Type.Integer(),
  error_steps: Type.Integer(),
  total_steps: Type.Integer(),
  steps: Type.Array(ProgressStepSchema),
});

/** `cause_details` in DigitalOcean's shape. */
export const CauseDetailsSchema = Type.Object({
  type: Type.String(),
  digitalocean_user_action: Type.Optional(
    Type.Object({ user: Type.Object({ full_name: Type.String() }), name: Type.String() }),
  ),
});

/** A deployment on the wire. */
/**
 * One built component of a deployment (DO's `services[]` etc.): the commit it was built from, and
 * Slipway's artifact id once the builds succeeded.
 */
export const DeploymentComponentSchema = Type.Object({
  name: Type.String(),
  source_commit_hash: Type.Optional(Type.String()),
  artifact_id: Type.Optional(Type.String()),
  /** What built it: the buildpack group (`nodejs`, `python`, ...), `dockerfile` or `image`. */
  builder: Type.Optional(Type.String()),
});
/** A deployment's component on the wire. */
export type DeploymentComponentJson = Static<typeof DeploymentComponentSchema>;
/** A deployment on the wire. */
export const DeploymentSchema = Type.Object({
  id: Type.String(),
  cause: Type.String(),
  cause_details: CauseDetailsSchema,
  phase: Type.Union(DEPLOYMENT_PHASES.map((p) => Type.Literal(p))),
  progress: ProgressSchema,
  spec: AppSpecRef,
  created_at: Type.String(),
  updated_at: Type.String(),
  phase_last_updated_at: Type.String(),
  cloned_from: Type.Optional(Type.String()),
  previous_deployment_id: Type.Optional(Type.String()),
  services: Type.Optional(Type.Array(DeploymentComponentSchema)),
  static_sites: Type.Optional(Type.Array(DeploymentComponentSchema)),
  workers: Type.Optional(Type.Array(DeploymentComponentSchema)),
  jobs: Type.Optional(Type.Array(DeploymentComponentSchema)),
});
/** A deployment on the wire. */
export type DeploymentJson = Static<typeof DeploymentSchema>;

/** An app on the wire. */
export const AppSchema = Type.Object({
  id: Type.String(),
  spec: AppSpecRef,
  live_url: Type.String(),
  default_ingress: Type.String(),
  active_deployment: Type.Optional(DeploymentSchema),
  in_progress_deployment: Type.Optional(DeploymentSchema),
  pending_deployment: Type.Optional(DeploymentSchema),
  created_at: Type.String(),
  updated_at: Type.String(),
  last_deployment_created_at: Type.Optional(Type.String()),
});
/** An app on the wire. */
export type AppJson = Static<typeof AppSchema>;

/** `{app}` */
export const AppResponse = Type.Object({ app: AppSchema });
/** `{apps}` */
export const AppListResponse = Type.Object({ apps: Type.Array(AppSchema) });
/** `{deployment}` */
export const DeploymentResponse = Type.Object({ deployment: DeploymentSchema });
/** `{deployments}` */
export const DeploymentListResponse = Type.Object({ deployments: Type.Array(DeploymentSchema) });

/** The body of create, update and propose. */
export const SpecBody = Type.Object({ spec: AppSpecRef }, { additionalProperties: false });

/** One inline file. */
export const InlineFileSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1024 }),
    content: Type.String(),
    encoding: Type.Optional(Type.Union([Type.Literal("utf8"), Type.Literal("base64")])),
    executable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
/**
 * The app's own code: `{upload: "sha256:..."}` from POST /v1/sources, or `{files: [...]}`.
 * Components whose spec names no source are built from it.
 */
export const AppSourceBody = Type.Union([
  Type.Object({ upload: Type.String({ pattern: "^sha256:[0-9a-f]{64}$" }) }, { additionalProperties: false }),
  Type.Object(
    { files: Type.Array(InlineFileSchema, { minItems: 1, maxItems: 1000 }) },
    { additionalProperties: false },
  ),
]);
/** The body of create and update: the spec, and optionally the app's own code (kept on update when absent). */
export const AppBody = Type.Object(
  { spec: AppSpecRef, source: Type.Optional(AppSourceBody) },
  { additionalProperties: false },
);
/** What POST /v1/sources answers. */
export const UploadResponse = Type.Object({ digest: Type.String(), size_bytes: Type.Integer() });
/** A git repository to detect in propose. */
export const GitProposeSource = Type.Object(
  {
    git: Type.Object(
      { repo_clone_url: Type.String({ minLength: 1 }), branch: Type.Optional(Type.String({ minLength: 1 })) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/**
 * The body of propose: a spec (and, when updating, the app it is for), or a source to detect —
 * an upload, inline files or a git repository — from which a spec is proposed (`name` names it).
 */
export const ProposeBody = Type.Object({
  spec: Type.Optional(AppSpecRef),
  app_id: Type.Optional(Type.String()),
  source: Type.Optional(Type.Union([AppSourceBody, GitProposeSource])),
  name: Type.Optional(Type.String({ minLength: 2, maxLength: 32 })),
});

/** One spec issue: path, message and, for YAML or JSON text, line and column. */
export const IssueSchema = Type.Object({
  path: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

/** The answer of propose for a valid spec. */
export const ProposeResponse = Type.Object({
  spec: AppSpecRef,
  errors: Type.Array(IssueSchema),
  warnings: Type.Array(IssueSchema),
  app_name_available: Type.Boolean(),
  app_name_suggestion: Type.Optional(Type.String()),
  /** With a source: what was detected, per component folder. */
  detections: Type.Optional(
    Type.Array(
      Type.Object({
        source_dir: Type.String(),
        group: Type.String(),
        framework: Type.Optional(Type.String()),
      }),
    ),
  ),
});

/** Every error body: `id` is the error code (as DigitalOcean does), details carry paths. */
export const ErrorSchema = Type.Object({
  id: Type.String(),
  message: Type.String(),
  details: Type.Array(IssueSchema),
});
/** An error body. */
export type ErrorJson = Static<typeof ErrorSchema>;

/** Path parameter `{app}`: an app's id or name. */
export const AppParams = Type.Object({ app: Type.String({ minLength: 1 }) });
/** Path parameters `{app}` and `{deployment}`. */
export const DeploymentParams = Type.Object({
  app: Type.String({ minLength: 1 }),
  deployment: Type.String({ minLength: 1 }),
});
/** The query of the logs route (doctl's `apps logs` flags). */
export const LogsQuery = Type.Object({
  type: Type.Optional(
    Type.Union([
      Type.Literal("BUILD"),
      Type.Literal("DEPLOY"),
      Type.Literal("RUN"),
      Type.Literal("RUN_RESTARTED"),
      Type.Literal("JOB_INVOCATION"),
    ]),
  ),
  deployment: Type.Optional(Type.String({ minLength: 1 })),
  /** With JOB_INVOCATION: one run's log (default the newest run of each job). */
  job_invocation: Type.Optional(Type.String({ minLength: 1 })),
  component_name: Type.Optional(Type.String({ minLength: 1 })),
  follow: Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")])),
  tail_lines: Type.Optional(Type.String({ pattern: "^-?[0-9]{1,9}$" })),
});
/** One log line on the wire. */
export const LogEntrySchema = Type.Object({
  component: Type.String(),
  at: Type.String(),
  text: Type.String(),
});

/** `?watch=true` streams newline-delimited JSON events instead of returning a list. */
export const WatchQuery = Type.Object({
  watch: Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")])),
});

/** A watch event on the wire. */
export function watchEventSchema<T extends TSchema>(object: T) {
  return Type.Object({
    type: Type.Union([Type.Literal("ADDED"), Type.Literal("MODIFIED"), Type.Literal("DELETED")]),
    object,
  });
}

/** The body of a manual deployment. */
export const CreateDeploymentBody = Type.Object(
  { force_build: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
/** The body of a rollback. */
export const RollbackBody = Type.Object(
  { deployment_id: Type.String({ minLength: 1 }), skip_pin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
/** The body of a restart: the components to restart, all when omitted. */
export const RestartBody = Type.Object(
  { components: Type.Optional(Type.Array(Type.String({ minLength: 1 }))) },
  { additionalProperties: false },
);
/** `{id}` of a deleted app. */
export const DeletedResponse = Type.Object({ id: Type.String() });

/** Team roles, least to most. */
export const RoleSchema = Type.Union([Type.Literal("viewer"), Type.Literal("member"), Type.Literal("owner")]);
/** A team role. */
export type Role = Static<typeof RoleSchema>;

/** The body of token creation. */
export const CreateTokenBody = Type.Object(
  {
    role: RoleSchema,
    user: Type.String({ minLength: 1, maxLength: 253 }),
    team: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
/** A token without its secret. */
export const TokenSchema = Type.Object({
  id: Type.String(),
  team: Type.String(),
  role: RoleSchema,
  user: Type.String(),
  description: Type.Optional(Type.String()),
  created_at: Type.String(),
});
/** A new token and its secret, shown once. */
export const CreateTokenResponse = Type.Object({ token: TokenSchema, secret: Type.String() });

/** The body of team creation (admin only). */
export const CreateTeamBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63 }) },
  { additionalProperties: false },
);
/** A team on the wire. */
export const TeamSchema = Type.Object({
  name: Type.String(),
  members: Type.Array(Type.Object({ user: Type.String(), role: RoleSchema })),
  created_at: Type.String(),
});
/** `{team}` */
export const TeamResponse = Type.Object({ team: TeamSchema });

/** One audit entry. `result` is the HTTP status code of the call. */
export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  time: Type.String(),
  actor: Type.String(),
  team: Type.String(),
  method: Type.String(),
  path: Type.String(),
  action: Type.String(),
  target: Type.String(),
  result: Type.Integer(),
});
/** An audit entry. */
export type AuditEntryJson = Static<typeof AuditEntrySchema>;
/** `{entries}` */
export const AuditListResponse = Type.Object({ entries: Type.Array(AuditEntrySchema) });
