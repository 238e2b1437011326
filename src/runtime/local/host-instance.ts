/**
 * An app instance without gVisor (ADR 0027), for machines where runsc cannot run: the same
 * rendered spec as under gVisor (renderInstanceSpec), run by `bwrap` (read-only stack root, the
 * artifact and hosts file read-only, a sized /tmp, own pid/ipc/uts namespaces) or as a plain
 * process (the host's file system; only /etc/hosts is bound over in a private mount namespace).
 * Both run in the instance's network namespace (`nsenter`) and in a cgroup Slipway owns with the
 * size's memory, CPU and pids limits, so OOM kills are read from the cgroup, not inferred.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { listRoot, renderBwrapArgs } from "./bwrap-args.js";
import { gracefulStop } from "./graceful-stop.js";
import type { InstanceExit, InstanceHandle, StartInstanceOptions } from "./instance.js";
import { renderInstanceSpec } from "./instance-spec.js";
import { lineSplitter } from "./line-splitter.js";
import type { OciSpec } from "./oci-spec.js";
import { createOwnCgroup, killQuietly } from "./own-cgroup.js";

/** Options of {@link startHostInstance}. */
export interface StartHostInstanceOptions extends Omit<StartInstanceOptions, "runscPath"> {
  runtime: "bwrap" | "process";
  /** Default `bwrap`. */
  bwrapPath?: string;
}

/**
 * Starts the instance. Throws when the cgroup cannot be made or the artifact has no run command;
 * a failure of bwrap itself shows as an early exit with its message on stderr.
 */
export async function startHostInstance(options: StartHostInstanceOptions): Promise<InstanceHandle> {
  const { spec, port } = renderInstanceSpec(options);
  const resources = spec.linux.resources;
  const cgroup = await createOwnCgroup(options.id, {
    memoryMiB: resources.memory.limit / 1024 / 1024,
    cpus: resources.cpu.quota / resources.cpu.period,
    pidsLimit: resources.pids.limit,
  });
  const home = join(options.bundleRoot, options.id);
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true, mode: 0o700 });
  // bwrap reads its options from fd 3: on its command line (the sandbox's /proc/1/cmdline) they
  // would show the host's paths to the app. The command itself must stay on the command line.
  const rendered = options.runtime === "bwrap" ? renderBwrapArgs(spec, await listRoot(spec.root.path)) : [];
  // renderBwrapArgs ends with `--` and the command.
  const bwrapOptions = rendered.slice(0, rendered.length - spec.process.args.length - 1);
  const { argv, env, cwd } =
    options.runtime === "bwrap"
      ? {
          argv: [options.bwrapPath ?? "bwrap", "--args", "3", "--", ...spec.process.args],
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
          cwd: "/",
        }
      : plainProcess(spec, options.hostsFile, home);
  const netns = spec.linux.namespaces.find((n) => n.type === "network")?.path;
  if (netns === undefined) throw new Error(`instance ${options.id}: no network namespace to run in`);
  // The launcher joins the cgroup before it execs, so nothing of the instance runs outside it.
  const join_ =
    'for f in $SLIPWAY_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; unset SLIPWAY_CGROUP_PROCS; exec "$@"';
  const child = spawn("sh", ["-c", join_, "sh", "nsenter", `--net=${netns}`, "--", ...argv], {
    cwd,
    env: { ...env, SLIPWAY_CGROUP_PROCS: cgroup.procsFiles.join(" ") },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const argsPipe = child.stdio[3] as Writable | null;
  argsPipe?.on("error", () => undefined);
  argsPipe?.end(bwrapOptions.map((a) => `${a}\0`).join(""));
  const started = performance.now();
  const lines = lineSplitter(options.onLine);
  child.stdout?.on("data", (chunk: Buffer) => lines.push("stdout", chunk));
  child.stderr?.on("data", (chunk: Buffer) => lines.push("stderr", chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("error", (error) => {
      lines.push("stderr", Buffer.from(`${error.message}\n`));
      resolve({ code: 127, signal: null });
    });
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const exit = exited.then(async ({ code, signal }): Promise<InstanceExit> => {
    lines.flush();
    const oomKills = await cgroup.oomKills();
    await cgroup.remove();
    await rm(home, { recursive: true, force: true });
    // bwrap and sh report a child killed by signal n as 128 + n.
    const bySignal = signal ?? (code !== null && code > 128 ? signalName(code - 128) : undefined);
    return {
      exitCode: code ?? (signal === null ? null : 128 + signalNumber(signal)),
      ...(bySignal === undefined ? {} : { signal: bySignal }),
      oomKilled: (oomKills ?? 0) > 0,
      durationMs: Math.round(performance.now() - started),
    };
  });
  const stop = gracefulStop(exit, {
    // Not bwrap itself: it would exit at once and take the app down before it drained.
    term: async () => {
      for (const pid of await cgroup.pids()) if ((await comm(pid)) !== "bwrap") killQuietly(pid, "SIGTERM");
    },
    force: async () => {
      for (const pid of await cgroup.pids()) killQuietly(pid, "SIGKILL");
    },
  });
  const handle: InstanceHandle = {
    id: options.id,
    ip: options.network.ip,
    port,
    wait: () => exit,
    stop: (o = {}) => stop(o.graceMs),
    // The fallbacks start at the plan's CPUs: no startup boost to end (ADR 0029).
    started: async () => undefined,
  };
  if (child.pid !== undefined) handle.pid = child.pid;
  return handle;
}

/**
 * A plain process: the host's file system, the workdir at the artifact's host path, HOME a
 * private host folder, and /etc/hosts bound over in a private mount namespace so component names
 * resolve as in a sandbox.
 */
function plainProcess(spec: OciSpec, hostsFile: string | undefined, home: string) {
  const cwdMount = spec.mounts.find((m) => m.type === "bind" && m.destination === spec.process.cwd);
  const env = Object.fromEntries(
    spec.process.env.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
  const bindHosts = 'h=$1; shift; [ -z "$h" ] || mount --bind -o ro "$h" /etc/hosts || exit 125; exec "$@"';
  const shell = ["sh", "-c", bindHosts, "sh", hostsFile ?? ""];
  return {
    argv: ["unshare", "--mount", "--propagation", "private", "--", ...shell, ...spec.process.args],
    env: { ...env, HOME: home, TMPDIR: home },
    cwd: cwdMount?.source ?? spec.root.path,
  };
}

async function comm(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
}

function signalName(n: number): NodeJS.Signals | undefined {
  const entry = Object.entries(constants.signals).find(([, value]) => value === n);
  return entry?.[0] as NodeJS.Signals | undefined;
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
