/**
 * Source detection: a pure function of a file tree that says which builder builds a component,
 * how it is built and run, and which app spec component it becomes. Order: a Dockerfile wins;
 * otherwise the first language found among Node.js, Python, Go and a plain static site, with a
 * Procfile overriding the run commands. See docs/adr/0004-source-detection.md.
 */
import {
  type BuildFields,
  componentName,
  DEFAULT_PORT,
  type ProcessPlan,
  proposeComponent,
} from "./component.js";
import { type DockerfileRead, readDockerfile } from "./dockerfile.js";
import { type FileTree, pathSegments, subTree } from "./file-tree.js";
import { probeGo } from "./go.js";
import { probeNode } from "./node.js";
import { type ProcfileRead, readProcfile } from "./procfile.js";
import { probePython } from "./python.js";
import { probeStatic } from "./static-site.js";
import type {
  ComponentKind,
  DetectErrorCode,
  Detection,
  DetectResult,
  Finding,
  Probe,
  ProbeContext,
} from "./types.js";

/** Options of `detect`. */
export interface DetectOptions {
  /** The component's `source_dir` within the tree (default: the root); a leading `/` is allowed. */
  sourceDir?: string;
  /** The proposed component's name (default: from `sourceDir`, else `web`); made valid if it is not. */
  componentName?: string;
}

/** What detection looks for, in order; every error lists it. */
export const LOOKED_FOR: readonly string[] = [
  "Dockerfile",
  "Procfile (web: and worker: processes)",
  "package.json (Node.js; npm, yarn or pnpm by lockfile)",
  "requirements.txt, Pipfile or pyproject.toml (Python)",
  "go.mod (Go)",
  "index.html (a static site)",
];

const fail = (code: DetectErrorCode, message: string): DetectResult => ({
  ok: false,
  error: { code, message, lookedFor: [...LOOKED_FOR] },
});

/**
 * Detects the source at `options.sourceDir` of `tree`. Reads only through `tree`. Fails with
 * `bad_source_dir` when the directory is missing, `invalid_file` when a deciding file (package.json,
 * Procfile, go.mod) is broken, `no_run_command` when the language is known but not how to start it,
 * and `undetectable` when nothing known is there.
 */
export function detect(tree: FileTree, options: DetectOptions = {}): DetectResult {
  const segments = pathSegments(options.sourceDir ?? "");
  const sub = segments === undefined ? undefined : subTree(tree, segments.join("/"));
  if (segments === undefined || sub === undefined) {
    return fail(
      "bad_source_dir",
      `source_dir "${options.sourceDir}" is not a directory of the source; fix source_dir`,
    );
  }
  const sourceDir = segments.join("/");
  const ctx: ProbeContext = { tree: sub, show: (p) => (sourceDir === "" ? p : `${sourceDir}/${p}`) };
  const where = sourceDir === "" ? "at the root of the source" : `in "${sourceDir}/"`;
  const base = nameOf(options, sourceDir);
  const procfile = readProcfile(ctx);
  const language = probeLanguages(ctx, options.componentName);
  const build: BuildFields = sourceDir === "" ? {} : { source_dir: sourceDir };
  const dockerfile = readDockerfile(ctx);
  if (dockerfile.kind === "found") {
    const finding = language.probe.kind === "found" ? language.probe.finding : undefined;
    return {
      ok: true,
      value: fromDockerfile(ctx, dockerfile, finding, procfile, { ...build, name: base.name }),
    };
  }
  if (procfile.kind === "invalid") return fail("invalid_file", procfile.message);
  if (language.probe.kind === "invalid") return fail(language.probe.code, language.probe.message);
  if (language.probe.kind === "none") {
    const found =
      procfile.kind === "found" ? ` (a Procfile alone cannot be built; add the language's manifest)` : "";
    return fail("undetectable", `no buildable source ${where}${found}; looked for ${LOOKED_FOR.join(", ")}`);
  }
  const finding = { ...language.probe.finding, notes: [...language.probe.finding.notes, ...language.notes] };
  if (finding.environmentSlug !== undefined) build.environment_slug = finding.environmentSlug;
  if (finding.buildCommand !== undefined) build.build_command = finding.buildCommand;
  return assemble(ctx, finding, procfile, build, base);
}

/** Dockerfile wins: one service (its CMD runs), the port from EXPOSE, the language only as a hint. */
function fromDockerfile(
  ctx: ProbeContext,
  dockerfile: Extract<DockerfileRead, { kind: "found" }>,
  finding: Finding | undefined,
  procfile: ProcfileRead,
  target: BuildFields & { name: string },
): Detection {
  const { name, ...build } = target;
  const httpPort = dockerfile.exposed ?? DEFAULT_PORT;
  const detection: Detection = {
    group: "dockerfile",
    language: finding?.language ?? "unknown",
    httpPort,
    kinds: ["service", "worker", "job"],
    evidence: dockerfile.evidence,
    notes: procfile.kind === "found" ? [`${ctx.show("Procfile")}: ignored; the Dockerfile's CMD runs`] : [],
    proposedComponent: proposeComponent(
      { ...build, dockerfile_path: ctx.show(dockerfile.path) },
      { kind: "service", name, httpPort },
    ),
    otherComponents: [],
  };
  if (finding?.framework !== undefined) detection.framework = finding.framework;
  return detection;
}

function nameOf(options: DetectOptions, sourceDir: string): { name: string; derived: boolean } {
  const given = options.componentName ?? sourceDir.split("/").pop() ?? "";
  return given === ""
    ? { name: "web", derived: false }
    : { name: componentName(given, "web"), derived: true };
}

/** Every language probe in detection order: the first that is not `none` wins; others become notes. */
function probeLanguages(ctx: ProbeContext, name: string | undefined): { probe: Probe; notes: string[] } {
  const probes: Probe[] = [probeNode(ctx), probePython(ctx), probeGo(ctx, name), probeStatic(ctx)];
  const chosen = probes.find((p) => p.kind !== "none") ?? { kind: "none" };
  const also = probes
    .filter((p) => p !== chosen && p.kind === "found")
    .map((p) => (p.kind === "found" ? p.finding.group : ""));
  if (chosen.kind !== "found" || also.length === 0) return { probe: chosen, notes: [] };
  const note = `also looks like ${also.join(", ")}; ${chosen.finding.group} comes first (add a Dockerfile to decide otherwise)`;
  return { probe: chosen, notes: [note] };
}

/** Applies the Procfile to a language finding and builds the detection, or fails without a run command. */
function assemble(
  ctx: ProbeContext,
  finding: Finding,
  procfile: ProcfileRead,
  build: BuildFields,
  base: { name: string; derived: boolean },
): DetectResult {
  const own = findingPlans(finding, base.name);
  // As on Heroku, a Procfile without `web` keeps the language's own way to start.
  const plans =
    procfile.kind !== "found"
      ? own
      : procfile.procfile.web === undefined
        ? [...own, ...procfilePlans(procfile, base)]
        : procfilePlans(procfile, base);
  const primary = plans[0];
  if (primary === undefined) {
    const message = `${finding.evidence[0] ?? finding.group} found, but not how to start it: ${finding.missingRun ?? "add a Procfile"}`;
    return fail("no_run_command", message);
  }
  const evidence = [...finding.evidence];
  if (procfile.kind === "found") evidence.push(`${ctx.show("Procfile")}: ${procfile.names.join(", ")}`);
  const kinds: ComponentKind[] = primary.kind === "service" ? ["service", "worker", "job"] : [primary.kind];
  if (procfile.kind === "found") kinds.splice(0, kinds.length, ...new Set(plans.map((p) => p.kind)));
  const { staticSite: _s, missingRun: _m, ...fields } = finding;
  const detection: Detection = {
    ...fields,
    evidence,
    kinds,
    proposedComponent: proposeComponent(build, primary),
    otherComponents: plans.slice(1).map((p) => proposeComponent(build, p)),
  };
  if (procfile.kind === "found") detection.procfile = procfile.procfile;
  if (primary.runCommand !== undefined) detection.runCommand = primary.runCommand;
  if (primary.kind === "service") detection.httpPort = DEFAULT_PORT;
  if (primary.kind !== "static_site") delete detection.outputDir;
  return { ok: true, value: detection };
}

/** Without a Procfile: one static site, or one service when a run command is known, else nothing. */
function findingPlans(finding: Finding, name: string): ProcessPlan[] {
  if (finding.staticSite) {
    return [
      finding.outputDir === undefined
        ? { kind: "static_site", name }
        : { kind: "static_site", name, outputDir: finding.outputDir },
    ];
  }
  if (finding.runCommand === undefined) return [];
  return [{ kind: "service", name, runCommand: finding.runCommand, httpPort: DEFAULT_PORT }];
}

/** `web` is a service, `release` a pre-deploy job, every other process a worker; web first, jobs last. */
function procfilePlans(
  procfile: Extract<ProcfileRead, { kind: "found" }>,
  base: { name: string; derived: boolean },
): ProcessPlan[] {
  const named = (process: string): string =>
    base.derived ? componentName(`${base.name}-${process}`, base.name) : componentName(process, base.name);
  const plans: ProcessPlan[] = [];
  for (const process of procfile.names) {
    const command =
      process === "web"
        ? procfile.procfile.web
        : process === "worker"
          ? procfile.procfile.worker
          : procfile.procfile.others[process];
    if (command === undefined) continue;
    if (process === "web")
      plans.push({ kind: "service", name: base.name, runCommand: command, httpPort: DEFAULT_PORT });
    else if (process === "release") plans.push({ kind: "job", name: named(process), runCommand: command });
    else plans.push({ kind: "worker", name: named(process), runCommand: command });
  }
  const order = (p: ProcessPlan): number => (p.kind === "service" ? 0 : p.kind === "worker" ? 1 : 2);
  return plans.sort((a, b) => order(a) - order(b));
}
