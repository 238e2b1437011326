/**
 * Sandboxes that outlive the process that started them (ADR 0026): `runsc create` + `runsc start`
 * instead of a foreground `runsc run`, so no process of the control plane is the container's
 * parent, and the container's stdout and stderr are files (`<outputDir>/<id>.out|.err`, opened
 * append-only) rather than pipes that break when the control plane exits. Its end is observed by
 * `runsc wait` in a child that dies with the control plane (`setpriv --pdeathsig KILL`), and a
 * restarted control plane observes a sandbox it did not start the same way (`watchSandbox`).
 *
 * `runsc wait` notices a sandbox killed from outside (kill -9 of its sentry, the OOM killer on
 * the host) only 1.1–1.8 s later (measured: the kernel tears down the sentry's address space
 * before the process is gone). So the sandbox's process is watched as well: once it is exiting,
 * `runsc wait` gets a moment to report an exit status, and otherwise the end is reported without
 * one — a crashed instance is restarted that much sooner.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { readOomKills } from "./cgroup-oom.js";
import { assertNotHostNetns, hideRootNetnsCheck } from "./netns-guard.js";
import { runBounded } from "./runsc-command.js";
import {
  EXIT_GRACE_MS,
  type RunExit,
  removeContainer,
  type SandboxHandle,
  type SandboxOptions,
  signalContainer,
  toResult,
} from "./sandbox.js";

/** Options of {@link startDetachedSandbox}: a sandbox's, plus where its output goes. */
export interface DetachedSandboxOptions extends Omit<SandboxOptions, "onOutput" | "timeoutMs"> {
  /** Holds `<id>.out` and `<id>.err` (appended to; the caller reads and removes them). */
  outputDir: string;
}

/** What {@link watchSandbox} needs to know of a running sandbox. */
export interface WatchSandboxOptions {
  stateRoot: string;
  id: string;
  /** The container's cgroup (`/<id>` for instances), for OOM attribution. */
  cgroupsPath: string;
  runscPath?: string;
  commandTimeoutMs?: number;
}

/** A sandbox that keeps running when this process lets go of it. */
export interface DetachedSandboxHandle extends SandboxHandle {
  /**
   * Stops watching without touching the sandbox (the control plane is exiting; the next one
   * adopts it). `wait()` then rejects.
   */
  release(): void;
}

/** How long `runsc create` and `runsc start` may take on a loaded machine. */
const LAUNCH_TIMEOUT_MS = 60_000;

/** The files a detached sandbox writes its output to. */
export function sandboxOutputFiles(outputDir: string, id: string): { out: string; err: string } {
  return { out: join(outputDir, `${id}.out`), err: join(outputDir, `${id}.err`) };
}

/**
 * Writes the bundle, creates and starts the container detached, and watches it. Throws (after
 * removing the container) when runsc cannot create or start it, with runsc's message.
 */
export async function startDetachedSandbox(options: DetachedSandboxOptions): Promise<DetachedSandboxHandle> {
  if (options.network === "sandbox")
    await assertNotHostNetns(options.spec.linux.namespaces.find((n) => n.type === "network")?.path);
  await mkdir(options.stateRoot, { recursive: true });
  await mkdir(options.bundleDir, { recursive: true });
  await mkdir(options.outputDir, { recursive: true });
  await writeFile(join(options.bundleDir, "config.json"), `${JSON.stringify(options.spec, null, 2)}\n`);
  const files = sandboxOutputFiles(options.outputDir, options.id);
  const runsc = options.runscPath ?? "runsc";
  const global = ["--root", options.stateRoot, `--network=${options.network ?? "none"}`];
  // runsc checks the namespace in both create and start (see netns-guard.ts).
  const wrap = (args: string[]): [string, string[]] =>
    options.network === "sandbox" ? hideRootNetnsCheck(runsc, args) : [runsc, args];
  const out = await open(files.out, "a");
  const err = await open(files.err, "a");
  let created: { code: number | null; error?: string };
  try {
    const [file, argv] = wrap([...global, "create", "--bundle", options.bundleDir, options.id]);
    created = await launch(file, argv, [out.fd, err.fd]);
  } finally {
    await out.close();
    await err.close();
  }
  const fail = async (what: string, message: string): Promise<never> => {
    await removeContainer(options).catch(() => undefined);
    throw new Error(`sandbox ${options.id}: runsc ${what} failed: ${message.trim() || "no message"}`);
  };
  if (created.code !== 0) await fail("create", created.error ?? (await lastLines(files.err)));
  const [file, argv] = wrap([...global, "start", options.id]);
  const started = await runBounded(file, argv, LAUNCH_TIMEOUT_MS);
  if (started.code !== 0) await fail("start", started.stderr);
  return watchSandbox({ ...options, cgroupsPath: options.spec.linux.cgroupsPath });
}

/** Runs `file` with stdout/stderr on `fds`, in its own session, and waits for it (bounded). */
function launch(
  file: string,
  argv: string[],
  fds: [number, number],
): Promise<{ code: number | null; error?: string }> {
  return new Promise((resolve) => {
    // Its own session: a signal to the control plane's process group never reaches the sandbox.
    const child = spawn(file, argv, { stdio: ["ignore", fds[0], fds[1]], detached: true });
    const timer = setTimeout(() => child.kill("SIGKILL"), LAUNCH_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, error: e.message });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
}

async function lastLines(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-5).join("\n");
}

/**
 * Watches a running sandbox (one this process started, or one a previous control plane left) with
 * `runsc wait`; the result is as {@link SandboxHandle.wait} describes. When the sandbox ended
 * while nobody waited, runsc has no exit status: `exitCode` is null.
 */
export function watchSandbox(options: WatchSandboxOptions): DetachedSandboxHandle {
  const runsc = options.runscPath ?? "runsc";
  const started = performance.now();
  const waiter = spawnWaiter(runsc, options);
  const flags = { killedByUs: false, timedOut: false, exited: false, released: false };
  let stopping = false;
  const watching = new AbortController();
  const ended = Promise.race([
    waiter.exited,
    sandboxGone(runsc, options, watching.signal).then(async () => {
      const late = await Promise.race([waiter.exited, delay(GONE_GRACE_MS).then(() => undefined)]);
      if (late !== undefined) return late;
      waiter.child.kill("SIGKILL");
      return { code: null, signal: null };
    }),
  ]);
  void ended.finally(() => watching.abort());
  const result = ended.then(async (exit) => {
    flags.exited = true;
    if (flags.released) throw new Error(`sandbox ${options.id} was released, not ended`);
    const durationMs = Math.round(performance.now() - started);
    const oomKills = await readOomKills(options.cgroupsPath);
    const removal = removeContainer(options);
    // A sandbox that ended by itself (a crash, a kill from outside) is reported at once and
    // removed meanwhile: deleting one whose sentry is still exiting takes ~1 s, and the restart
    // uses a new container id. One we stopped is reported once it is gone.
    if (stopping) await removal;
    else removal.catch(() => undefined);
    return toResult(exit, { ...flags, durationMs, oomKills });
  });
  result.catch(() => undefined);
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (flags.exited || flags.released) return;
    stopping = true;
    if (signal === "SIGKILL") flags.killedByUs = true;
    await signalContainer(options, signal, () => flags.exited);
    if (signal !== "SIGKILL") return;
    // A waiter that does not return (the sandbox hung) is ended; the delete then decides.
    const grace = setTimeout(() => waiter.child.kill("SIGKILL"), EXIT_GRACE_MS);
    await ended;
    clearTimeout(grace);
  };
  return {
    id: options.id,
    wait: () => result,
    kill: (signal = "SIGTERM") => stop(signal),
    delete: () => stop("SIGKILL").then(() => result),
    release: () => {
      if (flags.exited) return;
      flags.released = true;
      watching.abort();
      waiter.child.kill("SIGKILL");
    },
  };
}

/** How long `runsc wait` may still report an exit status once the sandbox's process is gone. */
const GONE_GRACE_MS = 200;
/** How often the sandbox's process is looked at. */
const PID_POLL_MS = 50;

/** PF_EXITING in the flags of /proc/<pid>/stat: the process has begun to exit. */
const PF_EXITING = 0x4;

/**
 * Resolves once the sandbox's process (its pid in `runsc state`) is gone or exiting; never when
 * the pid cannot be read (then `runsc wait` alone decides) or `signal` aborts first. A killed
 * sentry takes ~1 s to finish exiting (the kernel tears down its large address space first), but
 * it is marked as exiting at once.
 */
async function sandboxGone(runsc: string, options: WatchSandboxOptions, signal: AbortSignal): Promise<void> {
  const state = await runBounded(runsc, ["--root", options.stateRoot, "state", options.id], 5000);
  let pid = 0;
  try {
    pid = Number((JSON.parse(state.stdout) as { pid?: unknown }).pid);
  } catch {
    // No state: leave it to runsc wait.
  }
  if (!(pid > 1)) return new Promise<never>(() => {});
  while (!signal.aborted) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    // Fields after the command name (which may hold spaces): state is the 1st, flags the 7th.
    const flags = Number(stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[6]);
    if (stat === undefined || (flags & PF_EXITING) !== 0) return;
    await delay(PID_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return new Promise<never>(() => {});
}

function spawnWaiter(
  runsc: string,
  options: WatchSandboxOptions,
): { child: ChildProcess; exited: Promise<RunExit> } {
  // The waiter dies with this process, so a killed control plane leaves no `runsc wait` behind.
  const child = spawn(
    "setpriv",
    ["--pdeathsig", "KILL", runsc, "--root", options.stateRoot, "wait", options.id],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let stdout = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  const exited = new Promise<RunExit>((resolve) => {
    child.on("error", () => resolve({ code: null, signal: null }));
    child.on("close", (code) => {
      if (code !== 0) return resolve({ code: null, signal: null });
      try {
        const status: unknown = (JSON.parse(stdout) as { exitStatus?: unknown }).exitStatus;
        resolve({ code: typeof status === "number" ? status : null, signal: null });
      } catch {
        resolve({ code: null, signal: null });
      }
    });
  });
  return { child, exited };
}
