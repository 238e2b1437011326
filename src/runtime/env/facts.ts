/**
 * The inputs of run-time env resolution that are not in the app spec: facts of one deployment,
 * decided by the control plane and the runtime (ids, addresses, commits).
 */
import type { EntryKind } from "../../spec/index.js";

/** The kinds of components (everything named in a spec but databases). */
export type ComponentKind = Exclude<EntryKind, "database">;

/** One component of a spec: its kind and name. */
export interface ComponentRef {
  kind: ComponentKind;
  name: string;
}

/** What the deployment knows about one component. */
export interface ComponentFacts {
  /** The commit its source was built from; absent for image, inline and upload sources (`""`). */
  commitHash?: string;
  /** `http://<component>:<port>` where other instances reach it; absent when it runs no instance. */
  privateUrl?: string;
}

/** Facts of the deployment an instance belongs to. */
export interface DeploymentFacts {
  /** The App resource's id (`${APP_ID}`). */
  appId: string;
  /** `${APP_DOMAIN}`: the PRIMARY domain, else `<app>.<base domain>` (see `appAddress`). */
  appDomain: string;
  /** `${APP_URL}`: `https://<appDomain>` (`http://` when TLS is off), no trailing slash. */
  appUrl: string;
  /** By component name; a component missing here has no commit hash and no private URL. */
  components: Readonly<Record<string, ComponentFacts>>;
}
