/**
 * Finds the strongest isolation this machine offers: gVisor when `runsc` is installed and can
 * actually run a sandbox, else bubblewrap, else plain processes with the reason why.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBounded } from "./runsc-command.js";
import { releaseRunscRoots } from "./runsc-root.js";

/** The isolation found; the caller must report a `process` fallback loudly, with its reason. */
export type SandboxRuntime =
  | { kind: "gvisor"; version: string }
  /** `reasons`: why runsc was not taken (empty when it was not tried). */
  | { kind: "bubblewrap"; reasons: string[] }
  | { kind: "process"; reason: string };

/** Options of {@link detectSandboxRuntime}. */
export interface DetectOptions {
  /** Default `runsc`. */
  runscPath?: string;
  /** Default `bwrap`. */
  bwrapPath?: string;
  /** Bound on each probe; default 10000. */
  timeoutMs?: number;
  /** Default false. True starts at bubblewrap (the caller chose it; runsc's probe is not run). */
  skipRunsc?: boolean;
}

/**
 * Probes `runsc --version`, then runs `true` in a throwaway gVisor sandbox (no network, state in
 * a temporary directory that is removed). A runsc that is installed but cannot run (no ptrace,
 * seccomp refused, not root) falls through to bubblewrap (`bwrap --version` and a `true` in new
 * pid, network, ipc and uts namespaces), then to `process`.
 */
export async function detectSandboxRuntime(options: DetectOptions = {}): Promise<SandboxRuntime> {
  const runsc = options.runscPath ?? "runsc";
  const timeout = options.timeoutMs ?? 10_000;
  const reasons: string[] = [];
  const version = options.skipRunsc
    ? { code: -1, stdout: "", stderr: "not tried" }
    : await runBounded(runsc, ["--version"], timeout);
  if (options.skipRunsc) reasons.push("runsc was not tried");
  else if (version.code !== 0) {
    reasons.push(`runsc --version failed: ${firstLine(version.stderr)}`);
  } else {
    const smoke = await smokeRun(runsc, timeout);
    if (smoke === undefined) return { kind: "gvisor", version: parseRunscVersion(version.stdout) };
    reasons.push(`runsc is installed but cannot run a sandbox: ${smoke}`);
  }
  const bwrapPath = options.bwrapPath ?? "bwrap";
  const bwrap = await runBounded(bwrapPath, ["--version"], timeout);
  if (bwrap.code !== 0) reasons.push(`bwrap --version failed: ${firstLine(bwrap.stderr)}`);
  else {
    // Namespaces can be refused (no user namespaces, a container without CAP_SYS_ADMIN): try one.
    const probe = await runBounded(bwrapPath, BWRAP_PROBE, timeout);
    if (probe.code === 0) return { kind: "bubblewrap", reasons };
    reasons.push(
      `bwrap is installed but cannot make a sandbox: ${firstLine(probe.stderr) || `exit ${probe.code}`}`,
    );
  }
  return { kind: "process", reason: reasons.join("; ") };
}

/** A bubblewrap sandbox with the namespaces an instance gets, running `true`. */
const BWRAP_PROBE = [
  "--ro-bind",
  "/",
  "/",
  "--proc",
  "/proc",
  "--dev",
  "/dev",
  "--unshare-pid",
  "--unshare-net",
  "--unshare-ipc",
  "--unshare-uts",
  "--die-with-parent",
  "true",
];

/** The version from `runsc --version` output (`runsc version 0.0~20221219.0` → `0.0~20221219.0`). */
export function parseRunscVersion(stdout: string): string {
  return /runsc version (\S+)/.exec(stdout)?.[1] ?? firstLine(stdout);
}

/** Undefined when `runsc do true` succeeded, else why it did not. */
async function smokeRun(runsc: string, timeoutMs: number): Promise<string | undefined> {
  const stateRoot = await mkdtemp(join(tmpdir(), "slipway-runsc-probe-"));
  try {
    const run = await runBounded(runsc, ["--root", stateRoot, "--network=none", "do", "true"], timeoutMs);
    if (run.code === 0) return undefined;
    return run.timedOut
      ? `runsc do true took over ${timeoutMs} ms`
      : firstLine(run.stderr) || `exit code ${run.code}`;
  } finally {
    await releaseRunscRoots(stateRoot).catch(() => undefined);
    await rm(stateRoot, { recursive: true, force: true });
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
