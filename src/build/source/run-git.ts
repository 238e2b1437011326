/**
 * Runs the real `git` binary with no way to prompt for or store credentials, bounded in time.
 */
import { spawn } from "node:child_process";

/** What one git command did. */
export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it was stopped before it ended, if it was. */
  stopped: "timeout" | "aborted" | undefined;
}

/** Options of `runGit`. */
export interface RunGitOptions {
  cwd: string;
  /** Extra environment; merged over the sanitized one. */
  env?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Wall time in ms after which the whole process group is killed. */
  timeoutMs: number;
  /** The git binary; default `git` from PATH. */
  git?: string;
}

const KEEP_OUTPUT = 64 * 1024;

/**
 * The environment git runs with: the server's (for PATH and proxy variables) without any
 * `GIT_*` variable that could point git elsewhere, plus: no terminal prompt, no askpass, no
 * system or global config (so no credential helper or URL rewrite of the host applies), the C
 * locale (messages are matched), ssh in batch mode.
 */
export function gitEnv(base: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  return {
    ...env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    LC_ALL: "C",
    LANG: "C",
    ...extra,
  };
}

/** `-c` options every command gets: no credential helper, no hooks, no `ext::` transport. */
export const GIT_SAFE_CONFIG = [
  "-c",
  "credential.helper=",
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "protocol.ext.allow=never",
  "-c",
  "advice.detachedHead=false",
];

/**
 * Runs `git <GIT_SAFE_CONFIG> <args>` in its own process group and resolves when it exits (never
 * rejects for a non-zero exit). On timeout or abort the whole group (git and its transport
 * helpers) is killed with SIGKILL. Keeps the last 64 KiB of stdout and stderr.
 */
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.git ?? "git", [...GIT_SAFE_CONFIG, ...args], {
      cwd: options.cwd,
      env: gitEnv(process.env, options.env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let stopped: GitRun["stopped"];
    child.stdout.on("data", (d: Buffer) => {
      stdout = (stdout + d.toString()).slice(-KEEP_OUTPUT);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-KEEP_OUTPUT);
    });
    const kill = (why: NonNullable<GitRun["stopped"]>) => {
      stopped ??= why;
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    };
    const timer = setTimeout(() => kill("timeout"), options.timeoutMs);
    const onAbort = () => kill("aborted");
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolvePromise({ code, stdout, stderr, stopped });
    });
  });
}
