/**
 * Propose from a source: the server checks the code out (its fetch policy applies), runs
 * detection over it and answers the proposed spec, validated. For an upload or inline files the
 * components carry no source of their own (they are built from the app's code); for a git
 * repository they name it.
 */
import { directoryTree, proposeSpec } from "../detect/index.js";
import { SlipwayError } from "../resources/index.js";
import { type AppSpec, COMPONENT_LISTS, type ValidationResult } from "../spec/index.js";
import { type ApiDeps, requireValid } from "./call.js";
import type { ProposeSourceJson } from "./inline-files.js";

/** A detected component folder, on the wire. */
export interface DetectionJson {
  source_dir: string;
  group: string;
  framework?: string;
}

/** A name for the app from the repository's last path segment; `app` when there is none. */
function nameFrom(source: ProposeSourceJson): string {
  if (!("git" in source)) return "app";
  const last =
    source.git.repo_clone_url
      .replace(/\.git$/, "")
      .replace(/\/+$/, "")
      .split("/")
      .pop() ?? "";
  const name = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32);
  return /^[a-z][a-z0-9-]*[a-z0-9]$/.test(name) ? name : "app";
}

function withoutSources(spec: AppSpec): AppSpec {
  const out: Record<string, unknown> = { ...spec };
  for (const list of COMPONENT_LISTS) {
    const components = spec[list] as { git?: unknown }[] | undefined;
    if (components !== undefined) out[list] = components.map(({ git: _git, ...rest }) => rest);
  }
  return out as AppSpec;
}

/** Checks out, detects and validates; throws what a user can act on. */
export async function proposeFromSource(
  deps: ApiDeps,
  body: { source?: ProposeSourceJson; name?: string },
  signal: AbortSignal,
): Promise<{ result: ValidationResult & { spec: AppSpec }; detections: DetectionJson[] }> {
  const source = body.source;
  if (source === undefined) throw new Error("proposeFromSource without a source");
  if (deps.checkout === undefined)
    throw new SlipwayError("unavailable", "this server cannot check out sources for propose; send a spec");
  const checkout = await deps.checkout(source, signal);
  try {
    const git = "git" in source ? source.git : undefined;
    const proposed = proposeSpec(directoryTree(checkout.dir), {
      appName: body.name ?? nameFrom(source),
      repoCloneUrl: git?.repo_clone_url ?? "https://invalid.example/unused.git",
      ...(git?.branch === undefined ? {} : { branch: git.branch }),
    });
    if (!proposed.ok)
      throw new SlipwayError(
        "invalid_argument",
        `${proposed.error.message}; looked for: ${proposed.error.lookedFor.join(", ")}`,
        { details: [{ path: "source", message: proposed.error.message }] },
      );
    const spec = git === undefined ? withoutSources(proposed.value.spec) : proposed.value.spec;
    const result = requireValid(deps.validator.validate(spec, { appSource: git === undefined }));
    const detections = proposed.value.detections.map((d) => ({
      source_dir: d.sourceDir,
      group: d.detection.group,
      ...(d.detection.framework === undefined ? {} : { framework: d.detection.framework }),
    }));
    return { result, detections };
  } finally {
    await checkout.cleanup();
  }
}
