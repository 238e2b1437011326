/**
 * Local git repositories for tests: a copy of a folder committed on one branch, fetched by the
 * server as `file://<dir>` (the server runs with --allow-file-git-urls in tests).
 */
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";

const AUTHOR = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

/** Runs `git ARGS` in `cwd` with a fixed author; returns its trimmed output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...AUTHOR } }).trim();
}

/** Copies `source` to `dir`, commits it on `branch` and returns the commit hash. */
export function commitFolder(source: string, dir: string, branch = "main", message = "commit"): string {
  cpSync(source, dir, { recursive: true });
  git(dir, "init", "-q", "-b", branch);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}
