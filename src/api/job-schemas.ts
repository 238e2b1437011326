/**
 * Wire shapes of the job invocation routes, in DigitalOcean's shape (`/v2/apps/{id}/job-invocations`):
 * `{id, job_name, deployment_id, phase, trigger{type}, created_at, started_at, completed_at}`,
 * plus Slipway's `scheduled_at`, `exit_code` and `message`.
 */
import { type Static, Type } from "@sinclair/typebox";
import { JOB_INVOCATION_PHASES } from "../resources/index.js";

/** One job invocation. */
export const JobInvocationSchema = Type.Object({
  id: Type.String(),
  job_name: Type.String(),
  deployment_id: Type.String(),
  phase: Type.Union(JOB_INVOCATION_PHASES.map((p) => Type.Literal(p))),
  trigger: Type.Object({
    type: Type.Union([
      Type.Literal("SCHEDULED"),
      Type.Literal("MANUAL"),
      Type.Literal("PRE_DEPLOY"),
      Type.Literal("POST_DEPLOY"),
      Type.Literal("FAILED_DEPLOY"),
    ]),
  }),
  /** The cron tick it ran for (MANUAL: when it was asked for). */
  scheduled_at: Type.String(),
  created_at: Type.String(),
  started_at: Type.Optional(Type.String()),
  completed_at: Type.Optional(Type.String()),
  exit_code: Type.Optional(Type.Integer()),
  message: Type.Optional(Type.String()),
});
/** A job invocation on the wire. */
export type JobInvocationJson = Static<typeof JobInvocationSchema>;

/** `{job_invocation}`. */
export const JobInvocationResponse = Type.Object({ job_invocation: JobInvocationSchema });
/** `{job_invocations}`, newest tick first. */
export const JobInvocationListResponse = Type.Object({ job_invocations: Type.Array(JobInvocationSchema) });

/** Path parameters `{app}` and `{invocation}`. */
export const JobInvocationParams = Type.Object({
  app: Type.String({ minLength: 1 }),
  invocation: Type.String({ minLength: 1 }),
});

/** doctl's `list-job-invocations` filters. */
export const JobInvocationsQuery = Type.Object({
  job_name: Type.Optional(Type.String({ minLength: 1 })),
  deployment: Type.Optional(Type.String({ minLength: 1 })),
});
