/**
 * Runs one process in its own gVisor sandbox (`runsc run`) from an OCI bundle, with a wall-time
 * limit, output streaming, OOM reporting, and cleanup that never leaves a container or its state
 * behind. `runSandbox` is for run-to-completion work (builds, jobs); `startSandbox` for services.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { readOomKills } from "./cgroup-oom.js";
import { assertNotHostNetns, hideRootNetnsCheck } from "./netns-guard.js";
import type { OciSpec } from "./oci-spec.js";
import { runBounded } from "./runsc-command.js";

/**
 * `none`: loopback only; `host`: the host's network; `sandbox`: the spec's network namespace
 * (`netnsPath`, required, never the host's; see netns-guard.ts).
 */
export type SandboxNetwork = "none" | "host" | "sandbox";

/** Options of {@link startSandbox} and {@link runSandbox}. */
export interface SandboxOptions {
  /** Default `runsc` (from PATH). */
  runscPath?: string;
  /** runsc's `--root`: where it keeps container state. Created if missing. */
  stateRoot: string;
  /** Where config.json is written. Created if missing. */
  bundleDir: string;
  /** Container id: letters, digits, `_`, `-`, `.`; unique within `stateRoot`. */
  id: string;
  spec: OciSpec;
  /** Default `none`. */
  network?: SandboxNetwork;
  /** Wall-time limit; when reached the sandbox is killed and `timedOut` is reported. Default none. */
  timeoutMs?: number;
  /** Receives output as it arrives. */
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /** How long one `runsc delete` or `kill` may take before it is abandoned; default 5000. */
  commandTimeoutMs?: number;
}

/** How a sandboxed process ended. */
export interface SandboxResult {
  /** Exit code (128 + n when killed by signal n); null when runsc itself was killed. */
  exitCode: number | null;
  /** The signal that ended the process, when one did. */
  signal?: NodeJS.Signals;
  /** Killed for exceeding its memory limit. */
  oomKilled: boolean;
  /** Killed for reaching `timeoutMs`. */
  timedOut: boolean;
  durationMs: number;
}

/** A running sandbox. */
export interface SandboxHandle {
  id: string;
  /** Pid of the `runsc run` process on the host. */
  pid?: number;
  /** Resolves once the process has ended and the container is deleted; rejects if it cannot be. */
  wait(): Promise<SandboxResult>;
  /** Sends a signal (default SIGTERM) to the sandbox's process. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the sandbox (SIGKILL) and resolves with its result once it is deleted. */
  delete(): Promise<SandboxResult>;
}

/** What management commands need to name a container. */
export type ContainerRef = Pick<SandboxOptions, "runscPath" | "stateRoot" | "id" | "commandTimeoutMs">;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** After `runsc kill`, how long the run process may take to exit before it is killed itself. */
export const EXIT_GRACE_MS = 3000;

/**
 * Writes the bundle's config.json and starts `runsc run`. Throws when the id is invalid or the
 * bundle cannot be written; a failure of runsc itself shows as a non-zero `exitCode` with its
 * message on stderr.
 */
export async function startSandbox(options: SandboxOptions): Promise<SandboxHandle> {
  if (!ID_PATTERN.test(options.id)) throw new Error(`startSandbox: invalid id ${JSON.stringify(options.id)}`);
  if (options.network === "sandbox")
    await assertNotHostNetns(options.spec.linux.namespaces.find((n) => n.type === "network")?.path);
  await mkdir(options.stateRoot, { recursive: true });
  await mkdir(options.bundleDir, { recursive: true });
  await writeFile(join(options.bundleDir, "config.json"), `${JSON.stringify(options.spec, null, 2)}\n`);
  const started = performance.now();
  const { child, exited } = spawnRun(options);
  const flags = { killedByUs: false, timedOut: false, exited: false };
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (flags.exited) return;
    if (signal === "SIGKILL") flags.killedByUs = true;
    const sent = await signalContainer(options, signal, () => flags.exited);
    if (signal !== "SIGKILL") return;
    if (!sent) child.kill("SIGKILL");
    const grace = setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS);
    await exited;
    clearTimeout(grace);
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          flags.timedOut = true;
          void stop("SIGKILL");
        }, options.timeoutMs);
  const result = exited.then(async (exit) => {
    flags.exited = true;
    clearTimeout(timer);
    const durationMs = Math.round(performance.now() - started);
    const oomKills = await readOomKills(options.spec.linux.cgroupsPath);
    await removeContainer(options);
    return toResult(exit, { ...flags, durationMs, oomKills });
  });
  // wait() may be called late; the rejection is handled there, not reported as unhandled here.
  result.catch(() => undefined);
  const handle: SandboxHandle = {
    id: options.id,
    wait: () => result,
    kill: (signal = "SIGTERM") => stop(signal),
    delete: () => stop("SIGKILL").then(() => result),
  };
  if (child.pid !== undefined) handle.pid = child.pid;
  return handle;
}

/** How the process runsc ran ended (shared with detached-sandbox.ts). */
export interface RunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function spawnRun(options: SandboxOptions): { child: ChildProcess; exited: Promise<RunExit> } {
  const network = `--network=${options.network ?? "none"}`;
  const args = [...globalArgs(options), network, "run", "--bundle", options.bundleDir, options.id];
  const runsc = options.runscPath ?? "runsc";
  const [file, argv] = options.network === "sandbox" ? hideRootNetnsCheck(runsc, args) : [runsc, args];
  const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) => options.onOutput?.("stdout", chunk));
  child.stderr?.on("data", (chunk: Buffer) => options.onOutput?.("stderr", chunk));
  const exited = new Promise<RunExit>((resolve) => {
    child.on("error", (error) => {
      options.onOutput?.("stderr", Buffer.from(`${error.message}\n`));
      resolve({ code: 127, signal: null });
    });
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/**
 * `runsc kill`, retried for a moment because a sandbox that has just been started may not be
 * registered yet. False when it could not be signalled and has not exited.
 */
export async function signalContainer(
  options: ContainerRef,
  signal: NodeJS.Signals,
  exited: () => boolean,
): Promise<boolean> {
  const deadline = performance.now() + EXIT_GRACE_MS;
  const args = [...globalArgs(options), "kill", options.id, signal];
  for (;;) {
    const outcome = await runBounded(options.runscPath ?? "runsc", args, commandTimeout(options));
    if (outcome.code === 0 || exited()) return true;
    if (performance.now() > deadline) return false;
    await delay(50);
  }
}

/**
 * Runs a sandbox to completion (or to `timeoutMs`) and resolves with its result once the
 * container is deleted.
 */
export async function runSandbox(options: SandboxOptions & { timeoutMs: number }): Promise<SandboxResult> {
  const handle = await startSandbox(options);
  return handle.wait();
}

function globalArgs(options: ContainerRef): string[] {
  return ["--root", options.stateRoot];
}

function commandTimeout(options: ContainerRef): number {
  return options.commandTimeoutMs ?? 5000;
}

/**
 * Deletes the container if runsc left it behind. When `delete --force` hangs (the 2022 gofer
 * bug), the sandbox process is killed and the delete tried once more.
 */
export async function removeContainer(options: ContainerRef): Promise<void> {
  const runsc = options.runscPath ?? "runsc";
  const base = globalArgs(options);
  const timeout = commandTimeout(options);
  for (let attempt = 0; attempt < 2; attempt++) {
    const state = await runBounded(runsc, [...base, "state", options.id], timeout);
    if (state.code !== 0 && !state.timedOut) return;
    if (attempt > 0) killSandboxProcess(state.stdout);
    await runBounded(runsc, [...base, "delete", "--force", options.id], timeout);
  }
  const left = await runBounded(runsc, [...base, "state", options.id], timeout);
  if (left.code === 0 || left.timedOut) {
    throw new Error(`sandbox ${options.id}: runsc could not delete the container under ${options.stateRoot}`);
  }
}

function killSandboxProcess(stateJson: string): void {
  try {
    const pid: unknown = (JSON.parse(stateJson) as { pid?: unknown }).pid;
    if (typeof pid === "number" && pid > 1) process.kill(pid, "SIGKILL");
  } catch {
    // No state to read or the process is already gone: the delete below decides.
  }
}

/** What toResult needs besides the exit. */
export interface RunFacts {
  killedByUs: boolean;
  timedOut: boolean;
  durationMs: number;
  oomKills: number | undefined;
}

/** The result of a sandbox from how runsc ended and what else is known. */
export function toResult(exit: RunExit, facts: RunFacts): SandboxResult {
  const signal =
    exit.signal ?? (exit.code !== null && exit.code > 128 ? signalName(exit.code - 128) : undefined);
  // runsc removes the cgroups it made before we can read them; then a SIGKILL we did not send,
  // in a sandbox that always has a memory limit, is the memory cgroup's OOM killer.
  const oomKilled =
    facts.oomKills !== undefined ? facts.oomKills > 0 : !facts.killedByUs && exit.code === 137;
  const result: SandboxResult = {
    exitCode: exit.code,
    oomKilled,
    timedOut: facts.timedOut,
    durationMs: facts.durationMs,
  };
  if (signal !== undefined) result.signal = signal;
  return result;
}

function signalName(n: number): NodeJS.Signals | undefined {
  const entry = Object.entries(constants.signals).find(([, value]) => value === n);
  return entry?.[0] as NodeJS.Signals | undefined;
}
