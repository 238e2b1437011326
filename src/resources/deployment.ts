/**
 * The `Deployment` resource: one immutable revision of an App — the spec snapshot, its cause,
 * and the progress of building and rolling it out (reference section 3.2). Only status and the
 * live instance counts (`spec.scale`, ADR 0024) change after creation.
 */
import type { AppSpec } from "../spec/index.js";
import type { AppSource } from "./app.js";
import type { Condition, Resource } from "./meta.js";

/** DigitalOcean's deployment phases. */
export const DEPLOYMENT_PHASES = [
  "UNKNOWN",
  "PENDING_BUILD",
  "BUILDING",
  "PENDING_DEPLOY",
  "DEPLOYING",
  "ACTIVE",
  "SUPERSEDED",
  "ERROR",
  "CANCELED",
] as const;
/** One deployment phase. */
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];

/** Phases after which nothing more happens to a deployment (SUPERSEDED follows ACTIVE only). */
export const TERMINAL_PHASES: readonly DeploymentPhase[] = ["ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"];

/** Why a deployment exists (`cause_details.type`). */
export type CauseType =
  | "UNKNOWN"
  | "MANUAL"
  | "DEPLOY_ON_PUSH"
  | "MAINTENANCE"
  | "MANUAL_ROLLBACK"
  | "AUTO_ROLLBACK"
  | "UPDATE_DATABASE_TRUSTED_SOURCES"
  | "AUTOSCALED";

/** `cause_details` of a deployment. */
export interface CauseDetails {
  type: CauseType;
  /** The user action, e.g. CREATE_DEPLOYMENT, UPDATE_SPEC, ROLLBACK_APP, RESTART. */
  action?: string;
  /** Who caused it (a token's user), when a person did. */
  actor?: string;
}

/** A progress step status. */
export type StepStatus = "UNKNOWN" | "PENDING" | "RUNNING" | "ERROR" | "SUCCESS";

/** One step of a deployment's progress tree (DO shape). */
export interface ProgressStep {
  name: string;
  status: StepStatus;
  steps?: ProgressStep[];
  started_at?: string;
  ended_at?: string;
  reason?: { code: string; message: string };
  component_name?: string;
  message_base?: string;
}

/** A deployment's progress (DO shape): counts over the leaf steps, and the tree. */
export interface Progress {
  pending_steps: number;
  running_steps: number;
  success_steps: number;
  error_steps: number;
  total_steps: number;
  steps: ProgressStep[];
}

/** What a deployment is: set at creation, never changed — except `scale`. */
export interface DeploymentResourceSpec {
  /** The App's name (same namespace). */
  app: string;
  appUid: string;
  /** The App generation this deployment snapshots. */
  appGeneration: number;
  /** The normalized spec being deployed. */
  appSpec: AppSpec;
  /** The App's own code at this revision (copied, so later edits never change a deployment). */
  source?: AppSource;
  /** Free text, as on DigitalOcean: "manual", "app spec updated", "rollback to ...". */
  cause: string;
  causeDetails: CauseDetails;
  /** Rebuild every component even when an artifact with the same inputs exists. */
  forceBuild: boolean;
  /** For a rollback: the deployment whose spec and artifacts this one reuses. */
  clonedFrom?: string;
  previousDeployment?: string;
  /**
   * The live instance count of running components (component name to count), overriding the
   * snapshot's `instance_count` (or autoscaling minimum) for the components it names. The one
   * mutable part of the snapshot (ADR 0024): the App controller sets it on the ACTIVE deployment
   * when an App update changes nothing but instance counts, and the autoscaler when CPU use asks
   * for more or fewer instances; the rollout controller then creates or drains instances.
   */
  scale?: Record<string, number>;
}

/** How a deployment is going. */
export interface DeploymentResourceStatus {
  phase: DeploymentPhase;
  phaseLastUpdatedAt: string;
  progress: Progress;
  observedGeneration?: number;
  conditions?: Condition[];
  /** The artifact of each built component (component name to artifact id), once all builds succeeded. */
  artifacts?: Record<string, string>;
  /** The commit each git-sourced component was built from (DO's `source_commit_hash`). */
  sourceCommits?: Record<string, string>;
  /** What built each component: its buildpack group, `dockerfile` or `image`. */
  builders?: Record<string, string>;
}

/** A Deployment resource. */
export type Deployment = Resource<"Deployment", DeploymentResourceSpec, DeploymentResourceStatus>;

/** The kind string of Deployment. */
export const DEPLOYMENT_KIND = "Deployment" as const;

/** Labels that tie objects to their app. */
export const LABELS = {
  app: "slipway.dev/app",
  appGeneration: "slipway.dev/app-generation",
  /** On Builds: the Deployment they build for. */
  deployment: "slipway.dev/deployment",
} as const;
