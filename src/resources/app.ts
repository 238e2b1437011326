/**
 * The `App` resource: a DigitalOcean-compatible app spec owned by a team. Its namespace is the
 * team's name; its name is the spec's `name`. Users write it (API, CLI, console); the App
 * controller turns each new generation into a `Deployment`.
 */
import type { AppSpec } from "../spec/index.js";
import type { Condition, Resource } from "./meta.js";

/** One file of an app's inline source (typed in a browser or sent by a program). */
export interface InlineFile {
  /** Relative POSIX path inside the source tree, e.g. `src/index.js`. */
  path: string;
  content: string;
  /** How `content` is encoded; default `utf8`. */
  encoding?: "utf8" | "base64";
  /** Written with mode 0755 (a script the run or build command starts directly); default false. */
  executable?: boolean;
}

/**
 * Code that comes with the App itself rather than from a repository or registry: a folder the CLI
 * uploaded (a tar.gz kept by its sha256 digest), or inline files. Components whose spec names no
 * source are built from it.
 */
export type AppSource = { kind: "upload"; digest: string } | { kind: "files"; files: InlineFile[] };

/** What users state about an app. */
export interface AppResourceSpec {
  /** The app spec as submitted, validated (not normalized: the user's text stays theirs). */
  appSpec: AppSpec;
  /** The app's own code, when it has some; see AppSource. */
  source?: AppSource;
}

/** What the controllers observed. Deployment fields hold Deployment names. */
export interface AppResourceStatus {
  observedGeneration?: number;
  activeDeployment?: string;
  inProgressDeployment?: string;
  pendingDeployment?: string;
  /** `http://<app>.<base-domain>` once the router serves it. */
  liveUrl?: string;
  defaultIngress?: string;
  lastDeploymentCreatedAt?: string;
  lastDeploymentActiveAt?: string;
  /** The job scheduler's memory, by SCHEDULED job name (see ScheduledJobStatus). */
  scheduledJobs?: Record<string, ScheduledJobStatus>;
  conditions?: Condition[];
}

/** What the job scheduler recorded about one SCHEDULED job of the active Deployment. */
export interface ScheduledJobStatus {
  /** RFC 3339: when the scheduler first saw the job; ticks before it are never run. */
  since: string;
  /** RFC 3339: the newest tick an invocation was created for (run or SKIPPED). */
  lastScheduleTime?: string;
  /** The name of that invocation. */
  lastInvocation?: string;
  /** Ticks missed while the control plane was down and dropped (only the newest missed one runs). */
  missedTicks?: number;
}

/** An App resource. */
export type App = Resource<"App", AppResourceSpec, AppResourceStatus>;

/** The kind string of App. */
export const APP_KIND = "App" as const;
