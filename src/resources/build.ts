/**
 * The `Build` resource: one component's build for one Deployment. The Deployment controller
 * creates it (owned by the Deployment, named `<deployment>-<component>`); the Build controller
 * runs it through a builder and records the artifact. Build logs are not kept in the resource:
 * `logRef` points into a log store.
 */
import type { ServiceSpec } from "../spec/index.js";
import type { Condition, Resource } from "./meta.js";

/** A build's phases, in the order a successful build passes them. */
export const BUILD_PHASES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED"] as const;

/** One build phase. */
export type BuildPhase = (typeof BUILD_PHASES)[number];

/** Phases after which the builder is never called again for the Build. */
export const TERMINAL_BUILD_PHASES: readonly BuildPhase[] = ["SUCCEEDED", "FAILED", "CANCELED"];

/** The spec lists whose components are built (functions and databases are not). */
export const BUILT_COMPONENT_LISTS = ["services", "static_sites", "workers", "jobs"] as const;

/** Which list a built component comes from. */
export type BuiltComponentKind = (typeof BUILT_COMPONENT_LISTS)[number];

/** Where a component's code comes from: its source block as in the spec (at most one is set). */
export type BuildSource = Pick<ServiceSpec, "git" | "github" | "gitlab" | "bitbucket" | "image">;

/** The component fields that steer a build (`BUILD_FIELDS` of spec/diff.ts minus the sources). */
export interface BuildFields {
  build_command?: string;
  dockerfile_path?: string;
  source_dir?: string;
  environment_slug?: string;
  output_dir?: string;
}

/** What to build. Set at creation; only `canceled` changes afterwards. */
export interface BuildResourceSpec {
  /** The App's name (same namespace). */
  app: string;
  /** The owning Deployment's name. */
  deployment: string;
  /** The component's name in the app spec. */
  component: string;
  componentKind: BuiltComponentKind;
  source: BuildSource;
  /**
   * True when the component names no source: it is built from the Deployment's own code
   * (`Deployment.spec.source`, an upload or inline files).
   */
  usesAppSource?: boolean;
  buildFields: BuildFields;
  /**
   * Keys of the env vars visible at build time (app and component, BUILD_TIME and
   * RUN_AND_BUILD_TIME), sorted. Values, secret or not, are read from the Deployment's spec.
   */
  buildEnv: string[];
  /** Build even when an artifact with the same inputs exists. */
  forceBuild: boolean;
  /** Set by the Deployment controller to stop the build; the Build controller then marks it CANCELED. */
  canceled?: boolean;
}

/** How a build went. */
export interface BuildResourceStatus {
  phase: BuildPhase;
  /** The content-addressed artifact, once SUCCEEDED. */
  artifactId?: string;
  /** True when the builder found an artifact with the same inputs and built nothing. */
  reused?: boolean;
  /** The commit that was built, for git sources (DO's `source_commit_hash`). */
  sourceCommitHash?: string;
  /** What built it: the detected buildpack group (`nodejs`, `python`, ...), `dockerfile` or `image`. */
  builder?: string;
  /** RFC 3339: when the current attempt started. */
  startedAt?: string;
  /** RFC 3339: when the build reached SUCCEEDED, FAILED or CANCELED. */
  finishedAt?: string;
  /** Why it failed or was canceled, in words for the user. */
  message?: string;
  /** Where the build's log lines are kept (a log store reference); absent until one exists. */
  logRef?: string;
  /** How many times the builder was started (a restart after a crash starts it again). */
  attempts: number;
  conditions?: Condition[];
  observedGeneration?: number;
}

/** A Build resource. */
export type Build = Resource<"Build", BuildResourceSpec, BuildResourceStatus>;

/** The kind string of Build. */
export const BUILD_KIND = "Build" as const;
