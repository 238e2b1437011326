/**
 * Proposes a whole app spec for a source tree: the root as one component (plus its Procfile
 * processes), or, when the root is not detectable, each detectable top-level directory as a
 * component of a monorepo with its `source_dir`.
 */
import type { AppSpec } from "../spec/index.js";
import { componentName } from "./component.js";
import { detect, LOOKED_FOR } from "./detect.js";
import type { FileTree } from "./file-tree.js";
import type { DetectError, Detection, ProposedComponent } from "./types.js";

/** Options of `proposeSpec`. */
export interface ProposeSpecOptions {
  /** The app's name; made valid for an app spec if it is not (e.g. `My App` -> `my-app`). */
  appName: string;
  /** The git URL every component is built from (detection cannot know it). */
  repoCloneUrl: string;
  /** The branch (default `main`). */
  branch?: string;
}

/** A proposed spec with the detection behind each source directory (`""` for the root). */
export interface ProposedSpec {
  spec: AppSpec;
  detections: { sourceDir: string; detection: Detection }[];
}

/** The outcome of `proposeSpec`. */
export type ProposeSpecResult = { ok: true; value: ProposedSpec } | { ok: false; error: DetectError };

/**
 * Detects the root, else every top-level directory (hidden ones skipped), and returns an app spec
 * that passes Slipway's validator. A broken file in any candidate directory fails the whole
 * proposal rather than silently dropping that component. With several public components, an
 * ingress gives `/` to the first static site (else the first service) and `/<name>` to the others.
 */
export function proposeSpec(tree: FileTree, options: ProposeSpecOptions): ProposeSpecResult {
  const root = detect(tree);
  let detections: ProposedSpec["detections"];
  if (root.ok) detections = [{ sourceDir: "", detection: root.value }];
  else if (root.error.code !== "undetectable") return root;
  else {
    const found = detectSubdirectories(tree);
    if (!found.ok) return found;
    if (found.value.length === 0) {
      const dirs = tree.list("").filter((e) => e.type === "dir" && !e.name.startsWith("."));
      const also = dirs.length === 0 ? "" : ` nor in ${dirs.map((d) => `${d.name}/`).join(", ")}`;
      const message = `no buildable source at the root of the source${also}; looked for ${LOOKED_FOR.join(", ")}`;
      return { ok: false, error: { ...root.error, message } };
    }
    detections = found.value;
  }
  const git = { repo_clone_url: options.repoCloneUrl, branch: options.branch ?? "main" };
  const components = uniqueNames(
    detections.flatMap(({ detection }) => [detection.proposedComponent, ...detection.otherComponents]),
  );
  const spec: AppSpec = { name: componentName(options.appName, "app") };
  for (const c of components) addComponent(spec, c, git);
  const rules = ingressRules(components);
  if (rules.length > 1) spec.ingress = { rules };
  return { ok: true, value: { spec, detections } };
}

function detectSubdirectories(
  tree: FileTree,
): { ok: true; value: ProposedSpec["detections"] } | { ok: false; error: DetectError } {
  const out: ProposedSpec["detections"] = [];
  for (const entry of tree.list("")) {
    if (entry.type !== "dir" || entry.name.startsWith(".")) continue;
    const result = detect(tree, { sourceDir: entry.name, componentName: entry.name });
    if (result.ok) out.push({ sourceDir: entry.name, detection: result.value });
    else if (result.error.code !== "undetectable") return result;
  }
  return { ok: true, value: out };
}

/** Renames later duplicates `name-2`, `name-3`, ... (directories and Procfile processes may collide). */
function uniqueNames(components: ProposedComponent[]): ProposedComponent[] {
  const taken = new Set<string>();
  return components.map((c) => {
    let name = c.component.name;
    for (let i = 2; taken.has(name); i++) name = `${c.component.name.slice(0, 29)}-${i}`;
    taken.add(name);
    return { ...c, component: { ...c.component, name } } as ProposedComponent;
  });
}

function addComponent(
  spec: AppSpec,
  c: ProposedComponent,
  git: { repo_clone_url: string; branch: string },
): void {
  switch (c.list) {
    case "services":
      spec.services = [...(spec.services ?? []), { ...c.component, git }];
      return;
    case "static_sites":
      spec.static_sites = [...(spec.static_sites ?? []), { ...c.component, git }];
      return;
    case "workers":
      spec.workers = [...(spec.workers ?? []), { ...c.component, git }];
      return;
    case "jobs":
      spec.jobs = [...(spec.jobs ?? []), { ...c.component, git }];
      return;
    default: {
      const never: never = c;
      throw new Error(`unknown component list in ${JSON.stringify(never)}`);
    }
  }
}

function ingressRules(
  components: ProposedComponent[],
): NonNullable<NonNullable<AppSpec["ingress"]>["rules"]> {
  const open = components.filter((c) => c.list === "services" || c.list === "static_sites");
  const home = open.find((c) => c.list === "static_sites") ?? open[0];
  const ordered = home === undefined ? [] : [...open.filter((c) => c !== home), home];
  // Longer prefixes first, "/" last, so that the router's first match is the most specific.
  return ordered.map((c) => ({
    match: { path: { prefix: c === home ? "/" : `/${c.component.name}` } },
    component: { name: c.component.name },
  }));
}
