/**
 * The node status on the wire (`GET /v1/node`): what this machine runs apps in, so that a
 * fallback from gVisor is visible to API clients and the console, never silent (ADR 0027).
 */
import { type Static, Type } from "@sinclair/typebox";

/** The sandbox runtime of the node and what it means for isolation. */
export const NodeSandboxSchema = Type.Object({
  runtime: Type.Union([Type.Literal("runsc"), Type.Literal("bwrap"), Type.Literal("process")]),
  /** True only under gVisor. */
  isolated: Type.Boolean(),
  /** Chosen with `slipway server --sandbox-runtime`. */
  forced: Type.Boolean(),
  /** Empty only under gVisor. */
  warnings: Type.Array(Type.String()),
});

/** `{sandbox}` */
export const NodeResponse = Type.Object({ sandbox: NodeSandboxSchema });

/** The node status. */
export type NodeStatusJson = Static<typeof NodeResponse>;
