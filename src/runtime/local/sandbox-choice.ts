/**
 * Which sandbox runtime `slipway server` runs instances in, and the warnings that must be shown
 * wherever the node is looked at (stderr at start, the API's node status, `slipway doctor`) when
 * it is not gVisor. Pure: the probing is detect-runtime.ts.
 */
import type { SandboxRuntime } from "./detect-runtime.js";

/** The runtimes an instance can run in, strongest first. */
export const SANDBOX_RUNTIMES = ["runsc", "bwrap", "process"] as const;

/** `runsc` (gVisor), `bwrap` (bubblewrap: namespaces on the host kernel) or `process` (none). */
export type SandboxRuntimeName = (typeof SANDBOX_RUNTIMES)[number];

/** The runtime chosen at start and what it means for isolation. */
export interface SandboxChoice {
  runtime: SandboxRuntimeName;
  /**
   * True only for gVisor, the isolation Slipway promises: bubblewrap keeps apps apart from each
   * other and from host files but shares the host kernel; plain processes keep almost nothing.
   */
  isolated: boolean;
  /** Chosen with `--sandbox-runtime` rather than detected. */
  forced: boolean;
  /** One sentence each; empty only for gVisor. */
  warnings: string[];
}

/** True when `value` names a runtime. */
export function isSandboxRuntimeName(value: string): value is SandboxRuntimeName {
  return (SANDBOX_RUNTIMES as readonly string[]).includes(value);
}

const BWRAP_LOSS =
  "instances run in bubblewrap, not gVisor: they keep a read-only root, their own /proc, network " +
  "and cgroup limits, but make system calls to the host kernel, so a kernel bug reachable from an " +
  "app is an escape to the host";

const PROCESS_LOSS =
  "instances run as plain processes WITHOUT ISOLATION: they see the host's files as the server's " +
  "user (the data directory, the secret key, other apps' artifacts) and every host process; only " +
  "the per-app network namespace and the cgroup limits remain";

/**
 * The choice for what `detected` found, or for `forced` when given. Returns an error sentence
 * when the forced runtime cannot run here (the server must not start with less than it was told).
 */
export function chooseSandboxRuntime(
  detected: SandboxRuntime,
  forced?: SandboxRuntimeName,
): { ok: true; choice: SandboxChoice } | { ok: false; error: string } {
  const available: SandboxRuntimeName =
    detected.kind === "gvisor" ? "runsc" : detected.kind === "bubblewrap" ? "bwrap" : "process";
  const why =
    detected.kind === "bubblewrap"
      ? detected.reasons.join("; ")
      : detected.kind === "process"
        ? detected.reason
        : "";
  const runtime = forced ?? available;
  if (SANDBOX_RUNTIMES.indexOf(runtime) < SANDBOX_RUNTIMES.indexOf(available))
    return {
      ok: false,
      error: `--sandbox-runtime ${runtime} was asked for but cannot run on this machine (${why}); install it or choose ${available}`,
    };
  const warnings: string[] = [];
  if (runtime === "bwrap") warnings.push(BWRAP_LOSS);
  if (runtime === "process") warnings.push(PROCESS_LOSS);
  if (forced !== undefined && runtime !== "runsc")
    warnings.push(`${runtime} was chosen with --sandbox-runtime; gVisor is not used even where it works`);
  else if (why !== "") warnings.push(`gVisor is not used: ${why}`);
  return {
    ok: true,
    choice: { runtime, isolated: runtime === "runsc", forced: forced !== undefined, warnings },
  };
}
