/**
 * The `Instance` resource: one running copy of a service or worker of a Deployment, as the local
 * runtime's agent runs it (a gVisor sandbox from the component's artifact). The rollout controller
 * creates and drains Instances; the agent (instance controller) starts, supervises and stops them
 * and writes their status. Like a Kubernetes Pod with the kubelet.
 */
import type { Condition, Resource } from "./meta.js";

/** The spec lists whose components run as long-lived instances. */
export const RUNNING_COMPONENT_LISTS = ["services", "workers"] as const;

/** Which list a running component comes from. */
export type RunningComponentKind = (typeof RUNNING_COMPONENT_LISTS)[number];

/** What to run. Set at creation; only `draining` and `suspended` change afterwards. */
export interface InstanceResourceSpec {
  app: string;
  appUid: string;
  /** The Deployment whose spec snapshot and artifact this instance runs. */
  deployment: string;
  component: string;
  componentKind: RunningComponentKind;
  /** 0-based; the instance is `<deployment>-<component>-<index>`. */
  index: number;
  artifactId: string;
  /**
   * Set when the instance must go: it is taken out of the router at once, gets SIGTERM after the
   * component's `termination.drain_seconds` and SIGKILL after `grace_period_seconds`, then the
   * agent deletes the object.
   */
  draining?: boolean;
  /**
   * Set while the component sleeps (`inactivity_sleep`, ADR 0023): the agent stops the sandbox and
   * reports phase Suspended; cleared on the first request, and the agent starts it again. Not a
   * failure: rollouts neither replace nor count it.
   */
  suspended?: boolean;
}

/** An instance's phases. */
export const INSTANCE_PHASES = ["Pending", "Starting", "Running", "Failed", "Stopped", "Suspended"] as const;
/** One instance phase. */
export type InstancePhase = (typeof INSTANCE_PHASES)[number];

/** How the instance's process last ended. */
export interface InstanceTermination {
  exitCode?: number;
  signal?: string;
  oomKilled: boolean;
  /** RFC 3339. */
  at: string;
  /** In words, e.g. "killed for exceeding its memory limit of 512 MiB". */
  reason: string;
}

/** What the agent observed. */
export interface InstanceResourceStatus {
  phase: InstancePhase;
  /** Passing its readiness health check: the router may send traffic. */
  ready: boolean;
  /** Where the router reaches it (the instance's address in its app network). */
  address?: string;
  port?: number;
  /** RFC 3339: when the current process started. */
  startedAt?: string;
  /** RFC 3339: when it first became ready. */
  readyAt?: string;
  restarts: number;
  lastTermination?: InstanceTermination;
  /** Why it is Failed or not ready, in words. */
  message?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

/** An Instance resource. */
export type Instance = Resource<"Instance", InstanceResourceSpec, InstanceResourceStatus>;

/** The kind string of Instance. */
export const INSTANCE_KIND = "Instance" as const;

/** Labels on Instances (beside LABELS.app and LABELS.deployment). */
export const INSTANCE_LABELS = { component: "slipway.dev/component" } as const;
