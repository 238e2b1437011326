/**
 * The types of source detection: what a detector found, the component it proposes, and the
 * errors it reports when it cannot tell what the source is.
 */
import type { JobSpec, ServiceSpec, StaticSiteSpec, WorkerSpec } from "../spec/index.js";
import type { FileTree } from "./file-tree.js";

/** The builder that can build the source: a language buildpack, a plain static site, or a Dockerfile. */
export type BuildpackGroup = "nodejs" | "python" | "go" | "static" | "dockerfile";

/** App spec component kinds a source can become. */
export type ComponentKind = "service" | "worker" | "static_site" | "job";

/** The processes of a Procfile: `web`, `worker`, and every other process by name. */
export interface Procfile {
  web?: string;
  worker?: string;
  others: Record<string, string>;
}

/** A component entry ready for one list of the app spec, tagged with that list. */
export type ProposedComponent =
  | { list: "services"; component: ServiceSpec }
  | { list: "static_sites"; component: StaticSiteSpec }
  | { list: "workers"; component: WorkerSpec }
  | { list: "jobs"; component: JobSpec };

/** What detection decided about one component's source. */
export interface Detection {
  group: BuildpackGroup;
  /** `javascript`, `typescript`, `python`, `go`, `html`, or `unknown` behind a Dockerfile. */
  language: string;
  /** A framework hint such as `express`, `next`, `vite`, `flask`, `django`, `fastapi`, `gin`. */
  framework?: string;
  /** `npm`, `yarn`, `pnpm`, `pip`, `pipenv`, `poetry` or `go`. */
  packageManager?: string;
  /** How the builder installs dependencies before `buildCommand` (e.g. `npm ci`). */
  installCommand?: string;
  /** The build step after the install, as an app spec `build_command`. */
  buildCommand?: string;
  /** A shell command line; `$PORT` is expanded by the shell at run time. */
  runCommand?: string;
  /** The port a service listens on (8080, the platform's `$PORT`); absent for non-services. */
  httpPort?: number;
  /** Where a static build writes its files; absent when the source is served as is or not known. */
  outputDir?: string;
  /** `environment_slug` for the app spec (`node-js`, `python`, `go`, `html`); absent for Dockerfiles. */
  environmentSlug?: string;
  /** Component kinds that fit, the proposed one first. */
  kinds: ComponentKind[];
  procfile?: Procfile;
  /** Which files and fields decided it, e.g. `package.json: scripts.start`. */
  evidence: string[];
  /** Advice that did not change the outcome, e.g. a missing dependency. */
  notes: string[];
  /** The main component for the app spec. */
  proposedComponent: ProposedComponent;
  /** Further components the source asks for (Procfile workers, a `release` pre-deploy job). */
  otherComponents: ProposedComponent[];
}

/**
 * Why detection failed: `undetectable` (nothing known was found), `invalid_file` (a file that
 * decides detection cannot be read), `no_run_command` (the language is known but not how to run
 * it), `bad_source_dir` (the source directory is missing or outside the tree).
 */
export type DetectErrorCode = "undetectable" | "invalid_file" | "no_run_command" | "bad_source_dir";

/** A detection failure: a message saying what failed and where, and what was looked for. */
export interface DetectError {
  code: DetectErrorCode;
  message: string;
  lookedFor: string[];
}

/** The outcome of `detect`. */
export type DetectResult = { ok: true; value: Detection } | { ok: false; error: DetectError };

/** What a language detector found, before the Procfile and the component are applied. */
export type Finding = Pick<
  Detection,
  | "group"
  | "language"
  | "framework"
  | "packageManager"
  | "installCommand"
  | "buildCommand"
  | "runCommand"
  | "outputDir"
  | "environmentSlug"
  | "evidence"
  | "notes"
> & {
  /** True for a static site (built or not); false for something that runs. */
  staticSite: boolean;
  /** What to add when no run command was found, for the error message. */
  missingRun?: string;
};

/** A detector's answer: not its kind of source, found, or its kind but broken. */
export type Probe =
  | { kind: "none" }
  | { kind: "found"; finding: Finding }
  | { kind: "invalid"; code: "invalid_file" | "no_run_command"; message: string };

/** What detectors are given: the tree rooted at the source directory, and how to name its paths. */
export interface ProbeContext {
  tree: FileTree;
  /** The path as the user sees it, with the source directory in front (`api/package.json`). */
  show(path: string): string;
}
