/**
 * The one thing the build lifecycle needs from a runtime: run a command to completion in a
 * sandbox. `src/build` may not import `src/runtime`, so the composition root (or a test) adapts
 * the local runtime's `runSandbox` to this type.
 */

/** A host directory shown inside the sandbox. */
export interface BuildMount {
  /** Absolute host path. */
  source: string;
  /** Absolute path inside the sandbox. */
  destination: string;
  readonly: boolean;
}

/** One sandboxed command of a build. */
export interface SandboxRequest {
  /** The stack's root file system, mounted read-only as `/`. */
  rootfs: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  mounts: readonly BuildMount[];
  /** A private writable tmpfs at `/tmp` of this size. */
  tmpMiB: number;
  memoryMiB: number;
  cpus: number;
  /** Wall-time limit; the sandbox is killed when it is reached. */
  timeoutMs: number;
  /**
   * `none`: loopback only; `registries`: only the package registries the server allows, through
   * its egress proxy (ADR 0019; the sandbox gets the proxy's HTTPS_PROXY & co.); `host`: the
   * host's whole network, unrestricted (benchmarks and tests only, never the lifecycle).
   */
  network: "none" | "registries" | "host";
  /** Receives output as it arrives. */
  onOutput: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /** When it aborts, the command is killed (the outcome then does not matter). Default none. */
  signal?: AbortSignal;
}

/** How a sandboxed command ended. */
export interface SandboxOutcome {
  /** Exit code; null when the sandbox itself failed without one. */
  exitCode: number | null;
  timedOut: boolean;
  oomKilled: boolean;
}

/** Runs one command in a fresh sandbox and resolves once it has ended and been removed. */
export type RunInSandbox = (request: SandboxRequest) => Promise<SandboxOutcome>;
