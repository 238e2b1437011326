/**
 * Fetches one branch (or one commit) of a git repository into a folder with the real `git`:
 * shallow, no tags, no submodules unless asked, no credential prompt or helper.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import { checkBranchName } from "./git-source-url.js";
import { maskUrlCredentials } from "./mask-url.js";
import { type GitRun, runGit } from "./run-git.js";
import { checkTreeLinks } from "./tree-links.js";

/** Options of `fetchGitSource`. */
export interface FetchGitSourceOptions {
  /** An https://, http://, ssh://, git:// or file:// URL, or an absolute local path (scp-like `host:path` is not accepted). */
  url: string;
  /** The branch; default: the repository's default branch (its HEAD). */
  branch?: string | undefined;
  /** A full commit hash to check out instead of the branch's head (rollbacks, redeploys). */
  commit?: string | undefined;
  /** Folder to check out into; created; must not exist or be empty. Removed on failure. */
  dest: string;
  /** Also fetch submodules (shallow, recursive); default false. */
  submodules?: boolean;
  signal?: AbortSignal | undefined;
  /** Receives one line per step, credentials masked. */
  log?: (line: string) => void;
  /** Wall time for the whole fetch, in ms; default 300000 (5 minutes). */
  timeoutMs?: number;
  /** Extra environment for git, e.g. `{ GIT_SSL_CAINFO: "/etc/ssl/certs/ca-certificates.crt" }`. */
  env?: Record<string, string>;
  /** The git binary; default `git` from PATH. */
  git?: string;
}

/** A fetched source tree. */
export interface FetchedGitSource {
  /** The checkout (`dest`); its `.git` holds one shallow commit. */
  dir: string;
  /** The full hash of the checked-out commit: the deployment's `source_commit_hash`. */
  commit: string;
}

/** Default wall time of `fetchGitSource`. */
export const GIT_FETCH_TIMEOUT_MS = 300_000;

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Fetches `branch` (or `commit`) of `url` into `dest` with `git init` + `git fetch --depth 1
 * --no-tags <url> <ref>` + a detached checkout, so the URL (and any credentials in it) is never
 * written to `.git/config`, and a local path is fetched shallow like a remote. Then rejects
 * symbolic links that point outside the tree (`checkTreeLinks`). Errors are SlipwayErrors with
 * credentials masked: `not_found` for an unknown branch (`branch "x" not found in URL`), commit
 * or repository, `unavailable` for an unreachable host or the timeout, `failed_precondition` for
 * escaping links, `invalid_argument` for a bad branch name, commit or URL.
 */
export async function fetchGitSource(options: FetchGitSourceOptions): Promise<FetchedGitSource> {
  const { url, branch, commit, dest } = options;
  const shown = maskUrlCredentials(url);
  checkInputs(options, shown);
  const deadline = Date.now() + (options.timeoutMs ?? GIT_FETCH_TIMEOUT_MS);
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length > 0) {
    throw new SlipwayError("failed_precondition", `fetchGitSource: ${dest} is not empty`);
  }
  const git = async (args: string[], what: string): Promise<GitRun> => {
    const run = await runGit(args, {
      cwd: dest,
      signal: options.signal,
      timeoutMs: Math.max(1, deadline - Date.now()),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.git === undefined ? {} : { git: options.git }),
    });
    if (run.stopped === "timeout") {
      throw new SlipwayError(
        "unavailable",
        `fetching ${shown} timed out after ${options.timeoutMs ?? GIT_FETCH_TIMEOUT_MS} ms (${what}); check that the host is reachable, or raise the timeout for large repositories`,
      );
    }
    if (run.stopped === "aborted") throw new SlipwayError("unavailable", `fetching ${shown} was cancelled`);
    return run;
  };
  try {
    const ref = commit ?? (branch === undefined ? "HEAD" : `refs/heads/${branch}`);
    options.log?.(
      `fetching ${shown} ${commit === undefined ? (branch ?? "(default branch)") : `commit ${commit}`}`,
    );
    await expectOk(await git(["init", "-q", "--template=", "."], "init"), shown, options);
    const fetched = await git(
      ["fetch", "-q", "--depth", "1", "--no-tags", "--no-recurse-submodules", "--", url, ref],
      "fetch",
    );
    await expectOk(fetched, shown, options);
    await expectOk(await git(["checkout", "-q", "--detach", "FETCH_HEAD"], "checkout"), shown, options);
    if (options.submodules === true) await fetchSubmodules(url, git, (run) => expectOk(run, shown, options));
    const head = await git(["rev-parse", "HEAD"], "rev-parse");
    await expectOk(head, shown, options);
    const hash = head.stdout.trim();
    if (commit !== undefined && hash !== commit) {
      throw new SlipwayError("internal", `fetching commit ${commit} of ${shown} checked out ${hash}`);
    }
    await checkTreeLinks(dest, shown);
    options.log?.(`checked out ${hash}`);
    return { dir: dest, commit: hash };
  } catch (err) {
    await rm(dest, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Shallow, recursive submodules. Relative submodule URLs resolve against `remote.origin.url`,
 * so the URL is stored for the duration; it and every submodule URL are removed after (they may
 * hold credentials). The file
 * transport, which git refuses for submodules by default, is allowed only when the superproject
 * itself is local (a path or file://: the operator's choice, never a spec's).
 */
async function fetchSubmodules(
  url: string,
  git: (args: string[], what: string) => Promise<GitRun>,
  ok: (run: GitRun) => Promise<void>,
): Promise<void> {
  const local = isAbsolute(url) || /^file:\/\//i.test(url);
  await ok(await git(["config", "remote.origin.url", url], "submodules"));
  try {
    const allow = local ? ["-c", "protocol.file.allow=always"] : [];
    await ok(
      await git(
        [...allow, "submodule", "update", "-q", "--init", "--recursive", "--depth", "1"],
        "submodules",
      ),
    );
  } finally {
    // The URLs (which inherit credentials from a relative submodule URL) are not needed once
    // checked out: the superproject's, its submodule.*.url entries, each submodule's origin.
    await git(["config", "--unset", "remote.origin.url"], "submodules");
    await git(
      ["submodule", "foreach", "-q", "--recursive", "git config --unset remote.origin.url || true"],
      "submodules",
    );
    const urls = await git(["config", "--name-only", "--get-regexp", "^submodule\\..*\\.url$"], "submodules");
    for (const key of urls.stdout.split("\n").filter((k) => k !== "")) {
      await git(["config", "--unset", key], "submodules");
    }
  }
}

function checkInputs(options: FetchGitSourceOptions, shown: string): void {
  const bad = (message: string) => new SlipwayError("invalid_argument", message);
  const { url, branch, commit } = options;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (url === "" || url.startsWith("-") || /[\u0000-\u001f]/.test(url))
    throw bad(`not a git URL: ${JSON.stringify(shown)}`);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isAbsolute(url)) {
    throw bad(
      `not a git URL: ${JSON.stringify(shown)}; use https://host/owner/repo.git, file:///path or an absolute path`,
    );
  }
  if (/^ext::/i.test(url)) throw bad(`the ext:: transport is not allowed: ${JSON.stringify(shown)}`);
  if (branch !== undefined) {
    const problem = checkBranchName(branch);
    if (problem !== undefined) throw bad(`branch ${problem}`);
  }
  if (commit !== undefined && !COMMIT.test(commit)) {
    throw bad(`commit must be a full lowercase hash (40 or 64 hex digits), got ${JSON.stringify(commit)}`);
  }
}

async function expectOk(run: GitRun, shown: string, options: FetchGitSourceOptions): Promise<void> {
  if (run.code === 0) return;
  const said = maskUrlCredentials(run.stderr.trim());
  const last =
    said
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-3)
      .join(" / ") || `git exited with ${run.code}`;
  options.log?.(`git: ${last}`);
  if (/couldn't find remote ref|not our ref|no such remote ref|unadvertised object/i.test(said)) {
    if (options.commit !== undefined) {
      throw new SlipwayError(
        "not_found",
        `commit ${options.commit} not found in ${shown} (it may have been removed by a force push, or the server does not serve single commits): ${last}`,
      );
    }
    throw new SlipwayError(
      "not_found",
      `branch ${JSON.stringify(options.branch ?? "HEAD")} not found in ${shown}; check the branch name in the component's source`,
    );
  }
  const missing = /not found|does not appear to be a git repository|does not exist|no such file/i.test(said);
  throw new SlipwayError(
    missing ? "not_found" : "unavailable",
    `could not fetch ${shown}: ${last}. Check that the repository exists, that the URL is right and that this server can reach it (private repositories need credentials in the URL).`,
  );
}
