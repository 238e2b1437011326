/**
 * Wire schemas of instances.
 */
import { type Static, Type } from "@sinclair/typebox";

/** One instance on the wire (DO's instance fields plus what the runtime observed). */
export const InstanceSchema = Type.Object({
  instance_name: Type.String(),
  component_name: Type.String(),
  component_type: Type.Union([Type.Literal("SERVICE"), Type.Literal("WORKER")]),
  deployment_id: Type.String(),
  phase: Type.String(),
  ready: Type.Boolean(),
  draining: Type.Boolean(),
  /** Asleep (inactivity_sleep): stopped until its next request wakes it. */
  suspended: Type.Optional(Type.Boolean()),
  restarts: Type.Integer(),
  address: Type.Optional(Type.String()),
  port: Type.Optional(Type.Integer()),
  /** When the Instance was created (the rollout decided it should run). */
  created_at: Type.String(),
  /** When its current run started. */
  started_at: Type.Optional(Type.String()),
  /** When it first passed its readiness check (workers: stayed up long enough). */
  ready_at: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  last_termination: Type.Optional(
    Type.Object({
      exitCode: Type.Optional(Type.Integer()),
      signal: Type.Optional(Type.String()),
      oomKilled: Type.Boolean(),
      at: Type.String(),
      reason: Type.String(),
    }),
  ),
});
/** An instance on the wire. */
export type InstanceJson = Static<typeof InstanceSchema>;
/** `{instances}` */
export const InstanceListResponse = Type.Object({ instances: Type.Array(InstanceSchema) });
