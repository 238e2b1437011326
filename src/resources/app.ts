/**
 * The `App` resource: a DigitalOcean-compatible app spec owned by a team. Its namespace is the
 * team's name; its name is the spec's `name`. Users write it (API, CLI, console); the App
 * controller turns each new generation into a `Deployment`.
 */
import type { AppSpec } from "../spec/index.js";
import type { Condition, Resource } from "./meta.js";

/** What users state about an app. */
export interface AppResourceSpec {
  /** The app spec as submitted, validated (not normalized: the user's text stays theirs). */
  appSpec: AppSpec;
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
  conditions?: Condition[];
}

/** An App resource. */
export type App = Resource<"App", AppResourceSpec, AppResourceStatus>;

/** The kind string of App. */
export const APP_KIND = "App" as const;
