/**
 * Maps a component's git source block of the app spec (`git`, `github`, `gitlab`, `bitbucket`) to
 * a clone URL and branch. Pure.
 */
import type { ServiceSpec } from "../../spec/index.js";

/** The source blocks of a component (every component kind has the same four). */
export type GitSourceBlocks = Pick<ServiceSpec, "git" | "github" | "gitlab" | "bitbucket">;

/** Where to fetch a component's source from. */
export interface GitCloneTarget {
  url: string;
  /** The branch; undefined means the repository's default branch. */
  branch: string | undefined;
  /** Which block it came from, e.g. `github`. */
  from: "git" | "github" | "gitlab" | "bitbucket";
}

/** The outcome of `gitCloneTarget`: a target, none (an image or inline/uploaded source), or an error. */
export type GitCloneTargetResult =
  | { ok: true; target: GitCloneTarget | undefined }
  | { ok: false; path: string; message: string };

const HOSTS = { github: "github.com", gitlab: "gitlab.com", bitbucket: "bitbucket.org" } as const;

/**
 * The clone URL and branch of a component: `git.repo_clone_url` as given (https or http only, so
 * a spec cannot make the server read its own files through `file://` or a path), `github.repo`
 * `owner/name` -> `https://github.com/owner/name.git`, and the same for `gitlab.com` (which also
 * takes `group/subgroup/name`) and `bitbucket.org`. The branch is checked with
 * `checkBranchName`. Error paths are relative to the component, e.g. `github.branch`.
 */
export function gitCloneTarget(component: GitSourceBlocks): GitCloneTargetResult {
  const { git } = component;
  if (git !== undefined) {
    const url = git.repo_clone_url ?? "";
    if (!/^https?:\/\/[^\s]+$/i.test(url)) {
      return {
        ok: false,
        path: "git.repo_clone_url",
        message: `git.repo_clone_url: must be an https:// URL, got ${JSON.stringify(url)}`,
      };
    }
    return withBranch("git", url, git.branch);
  }
  for (const from of ["github", "gitlab", "bitbucket"] as const) {
    const block = component[from];
    if (block === undefined) continue;
    const repo = (block.repo ?? "").replace(/\.git$/, "");
    const segments = repo.split("/");
    const max = from === "gitlab" ? 3 : 2;
    if (segments.length < 2 || segments.length > max || !segments.every((s) => /^[A-Za-z0-9_.-]+$/.test(s))) {
      return {
        ok: false,
        path: `${from}.repo`,
        message: `${from}.repo: must be "owner/repository", got ${JSON.stringify(block.repo ?? "")}`,
      };
    }
    return withBranch(from, `https://${HOSTS[from]}/${repo}.git`, block.branch);
  }
  return { ok: true, target: undefined };
}

function withBranch(
  from: GitCloneTarget["from"],
  url: string,
  branch: string | undefined,
): GitCloneTargetResult {
  if (branch !== undefined) {
    const problem = checkBranchName(branch);
    if (problem !== undefined)
      return { ok: false, path: `${from}.branch`, message: `${from}.branch: ${problem}` };
  }
  return { ok: true, target: { url, branch, from } };
}

/**
 * Why `name` cannot be a branch name, or undefined when it can. Follows `git check-ref-format
 * --branch` closely enough that git never reads a name as an option or a revision range: no
 * leading `-`, no `..`, `@{`, control characters, space, `~^:?*[\`, no `/` at either end or
 * `//`, no trailing `.` or `.lock`.
 */
export function checkBranchName(name: string): string | undefined {
  const quoted = JSON.stringify(name);
  if (name === "") return "must not be empty";
  if (name.startsWith("-")) return `${quoted} must not start with "-"`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name))
    return `${quoted} holds a character git does not allow in a branch name`;
  if (name.includes("..") || name.includes("@{") || name.includes("//")) {
    return `${quoted} holds "..", "@{" or "//", which git does not allow in a branch name`;
  }
  if (
    name.startsWith("/") ||
    name.endsWith("/") ||
    name.endsWith(".") ||
    name.endsWith(".lock") ||
    name === "@"
  ) {
    return `${quoted} is not a valid git branch name`;
  }
  return undefined;
}
