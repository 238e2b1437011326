/**
 * Turns a detection into app spec component entries: the build fields every component of the
 * source shares, plus a run command per process.
 */
import type { JobSpec, ServiceSpec, StaticSiteSpec, WorkerSpec } from "../spec/index.js";
import type { ComponentKind, ProposedComponent } from "./types.js";

/** The port a detected service listens on: the platform passes it as `$PORT`. */
export const DEFAULT_PORT = 8080;

/** The build fields shared by every component built from one source. */
export interface BuildFields {
  source_dir?: string;
  environment_slug?: string;
  build_command?: string;
  dockerfile_path?: string;
}

/** One process to propose: its kind, name and run command (none for a Dockerfile's CMD or a static site). */
export interface ProcessPlan {
  kind: ComponentKind;
  name: string;
  runCommand?: string;
  httpPort?: number;
  outputDir?: string;
}

/**
 * A component name valid in an app spec (2 to 32 of a-z, 0-9 and dashes, starting with a
 * letter), made from any text; `fallback` when nothing usable is left.
 */
export function componentName(text: string, fallback: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 32)
    .replace(/-+$/, "")
    .replace(/-{2,}/g, "-");
  return cleaned.length >= 2 ? cleaned : fallback;
}

/** The component entry for one process, tagged with its app spec list. */
export function proposeComponent(build: BuildFields, plan: ProcessPlan): ProposedComponent {
  const run = plan.runCommand === undefined ? {} : { run_command: plan.runCommand };
  switch (plan.kind) {
    case "service": {
      const component: ServiceSpec = {
        name: plan.name,
        ...build,
        ...run,
        http_port: plan.httpPort ?? DEFAULT_PORT,
      };
      return { list: "services", component };
    }
    case "static_site": {
      const { dockerfile_path: _ignored, ...rest } = build;
      const component: StaticSiteSpec = { name: plan.name, ...rest };
      if (plan.outputDir !== undefined) component.output_dir = plan.outputDir;
      return { list: "static_sites", component };
    }
    case "worker": {
      const component: WorkerSpec = { name: plan.name, ...build, ...run };
      return { list: "workers", component };
    }
    case "job": {
      const component: JobSpec = { name: plan.name, ...build, ...run, kind: "PRE_DEPLOY" };
      return { list: "jobs", component };
    }
    default: {
      const never: never = plan.kind;
      throw new Error(`unknown component kind ${String(never)}`);
    }
  }
}
