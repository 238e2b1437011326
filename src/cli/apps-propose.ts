/**
 * `slipway apps propose --source DIR|GIT_URL`: detection and a proposed spec, offline. A git URL is
 * fetched shallow into a temporary folder first (removed afterwards).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fetchGitSource, maskUrlCredentials } from "../build/index.js";
import { directoryTree, proposeSpec } from "../detect/index.js";
import type { CliIo } from "./io.js";
import { type OutputFormat, printAs } from "./output.js";

/** What `propose --source` was given. */
export interface ProposeArgs {
  source: string;
  branch: string | undefined;
  name: string | undefined;
  repo: string | undefined;
  format: OutputFormat;
}

/** True when `source` names a git repository rather than a local folder. */
function isGitUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.endsWith(".git");
}

/**
 * Detects a local folder, or a git repository fetched shallow into a temporary folder, and prints
 * the proposed spec; no server is needed.
 */
export async function proposeFromSource(io: CliIo, args: ProposeArgs): Promise<number> {
  const { source, branch } = args;
  if (!isGitUrl(source)) return proposeFromDir(io, args, source, source, `file://${resolve(source)}`, branch);
  const temp = await mkdtemp(join(tmpdir(), "slipway-propose-"));
  try {
    const fetched = await fetchGitSource({ url: source, branch, dest: join(temp, "src") });
    io.stderr(`fetched ${maskUrlCredentials(source)} at ${fetched.commit}\n`);
    return await proposeFromDir(io, args, fetched.dir, maskUrlCredentials(source), source, branch);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function proposeFromDir(
  io: CliIo,
  args: ProposeArgs,
  dir: string,
  shown: string,
  defaultRepo: string,
  branch: string | undefined,
): Promise<number> {
  const name = args.name ?? appNameOf(shown);
  const repo = args.repo ?? defaultRepo;
  const result = proposeSpec(directoryTree(dir), {
    appName: name,
    repoCloneUrl: repo,
    ...(branch === undefined ? {} : { branch }),
  });
  if (!result.ok) {
    io.stderr(`${shown}: ${result.error.message}\nlooked for: ${result.error.lookedFor.join(", ")}\n`);
    return 1;
  }
  for (const d of result.value.detections) {
    const where = d.sourceDir === "" ? shown : `${shown}/${d.sourceDir}`;
    io.stderr(
      `${where}: ${d.detection.group}${d.detection.framework === undefined ? "" : ` (${d.detection.framework})`}\n`,
    );
  }
  printAs(io, args.format === "table" ? "yaml" : args.format, result.value.spec, () => undefined);
  return 0;
}

/** An app name from a folder or repository name: lower case, dashes, at most 32 characters. */
function appNameOf(source: string): string {
  const base = basename(resolve(source.replace(/\.git$/, "").replace(/\/+$/, "")));
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32);
  return /^[a-z]/.test(name) ? name : `app-${name}`.slice(0, 32);
}
