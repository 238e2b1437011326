/**
 * Builds a new Deployment object for an App: the normalized spec snapshot, its cause and the
 * DigitalOcean progress step tree with every step PENDING (reference section 3.2). Pure: the
 * caller stores it. Used by the App controller (new generations) and the API (manual deploys,
 * rollbacks, restarts).
 */

import { type AppSpec, normalize } from "../spec/index.js";
import type { App, AppSource } from "./app.js";
import {
  type CauseDetails,
  DEPLOYMENT_KIND,
  type Deployment,
  LABELS,
  type Progress,
  type ProgressStep,
} from "./deployment.js";
import { API_VERSION, type NewResource } from "./meta.js";

/** Options of `newDeployment`. */
export interface NewDeploymentOptions {
  /** The object name; unique in the namespace (callers derive it from a random id). */
  name: string;
  cause: string;
  causeDetails: CauseDetails;
  forceBuild?: boolean;
  /** Deploy this spec instead of the App's current one (rollbacks). */
  appSpec?: AppSpec;
  /**
   * The app's own code to deploy with `appSpec` (rollbacks pass the target's). Used only with
   * `appSpec`; without `appSpec` the App's current source is taken.
   */
  source?: AppSource;
  clonedFrom?: string;
  previousDeployment?: string;
  now: Date;
}

const KIND_WORDS: Record<string, string> = {
  services: "service",
  static_sites: "static site",
  workers: "worker",
  jobs: "job",
};

function pending(name: string, extra: Partial<ProgressStep> = {}): ProgressStep {
  return { name, status: "PENDING", ...extra };
}

/** The DO step tree for a spec: build (initialize, one step per component), deploy (...), finalize. */
export function initialProgress(spec: AppSpec): Progress {
  const components: { name: string; word: string }[] = [];
  for (const list of ["services", "static_sites", "workers", "jobs"] as const) {
    for (const c of spec[list] ?? []) components.push({ name: c.name, word: KIND_WORDS[list] as string });
  }
  const build = pending("build", {
    steps: [
      pending("initialize"),
      pending("components", {
        steps: components.map((c) =>
          pending(c.name, { component_name: c.name, message_base: `Building ${c.word}` }),
        ),
      }),
    ],
  });
  const deploy = pending("deploy", {
    steps: [
      pending("initialize"),
      pending("components", {
        steps: components.map((c) =>
          pending(c.name, {
            component_name: c.name,
            steps: [
              pending("deploy", { component_name: c.name, message_base: `Deploying ${c.word}` }),
              pending("wait", { component_name: c.name, message_base: `Waiting for ${c.word}` }),
            ],
          }),
        ),
      }),
      pending("finalize"),
    ],
  });
  return countSteps([build, deploy]);
}

/** Recomputes the counters of a step tree from its leaves. */
export function countSteps(steps: ProgressStep[]): Progress {
  const counts = { pending_steps: 0, running_steps: 0, success_steps: 0, error_steps: 0, total_steps: 0 };
  const visit = (s: ProgressStep) => {
    if (s.steps !== undefined && s.steps.length > 0) return s.steps.forEach(visit);
    counts.total_steps++;
    if (s.status === "PENDING" || s.status === "UNKNOWN") counts.pending_steps++;
    else if (s.status === "RUNNING") counts.running_steps++;
    else if (s.status === "SUCCESS") counts.success_steps++;
    else counts.error_steps++;
  };
  steps.forEach(visit);
  return { ...counts, steps };
}

/** A new Deployment of `app` in phase PENDING_BUILD. */
export function newDeployment(app: App, options: NewDeploymentOptions): NewResource<Deployment> {
  const appSpec = normalize(options.appSpec ?? app.spec.appSpec);
  const source = options.appSpec === undefined ? app.spec.source : options.source;
  const at = options.now.toISOString();
  return {
    apiVersion: API_VERSION,
    kind: DEPLOYMENT_KIND,
    metadata: {
      name: options.name,
      ...(app.metadata.namespace === undefined ? {} : { namespace: app.metadata.namespace }),
      labels: { [LABELS.app]: app.metadata.name, [LABELS.appGeneration]: String(app.metadata.generation) },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "App",
          name: app.metadata.name,
          uid: app.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      app: app.metadata.name,
      appUid: app.metadata.uid,
      appGeneration: app.metadata.generation,
      appSpec,
      ...(source === undefined ? {} : { source }),
      cause: options.cause,
      causeDetails: options.causeDetails,
      forceBuild: options.forceBuild ?? false,
      ...(options.clonedFrom === undefined ? {} : { clonedFrom: options.clonedFrom }),
      ...(options.previousDeployment === undefined ? {} : { previousDeployment: options.previousDeployment }),
    },
    status: { phase: "PENDING_BUILD", phaseLastUpdatedAt: at, progress: initialProgress(appSpec) },
  };
}
