/**
 * Taking over a detached HAProxy a previous control plane started in the same directory
 * (ADR 0026): found by its pid file, checked to be HAProxy on this directory's config, and
 * answering on both its master socket and its runtime API. The result behaves like a started
 * one (checked seamless reloads through the master socket, stop), except that its exit is seen
 * by polling, as it is not this process's child.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  HAPROXY_LOG,
  type HaproxyExit,
  type HaproxyProcess,
  haproxyHandle,
  tail,
} from "./haproxy-process.js";
import { createRuntimeApi, sendCommand } from "./runtime-api.js";

/** Options of {@link adoptHaproxy}. */
export interface AdoptHaproxyOptions {
  /** The config directory it was started on (haproxy.cfg, haproxy.pid, master.sock). */
  dir: string;
  statsSocket: string;
  serverStateFile: string;
  /** Default `haproxy`. */
  binary?: string;
  /** How long a reload may take. Default 15 s. */
  timeoutMs?: number;
  /** Called once if it exits without `stop()`. */
  onExit?: (exit: HaproxyExit) => void;
}

/** The master's pid from `<dir>/haproxy.pid` when that process is HAProxy on `<dir>`'s config. */
export async function runningHaproxyPid(dir: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(dir, "haproxy.pid"), "utf8").catch(() => ""), 10);
  if (!(pid > 1) || !isAlive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const args = cmdline.split("\0");
  return args.some((a) => a.endsWith("haproxy")) && args.includes(join(dir, "haproxy.cfg")) ? pid : undefined;
}

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // `<pid> (<name>) <state> …`: Z is a zombie, dead already.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Adopts the HAProxy running on `dir`; undefined when there is none, or it does not answer. */
export async function adoptHaproxy(options: AdoptHaproxyOptions): Promise<HaproxyProcess | undefined> {
  const binary = options.binary ?? "haproxy";
  const timeoutMs = options.timeoutMs ?? 15_000;
  const masterSocket = join(options.dir, "master.sock");
  const pid = await runningHaproxyPid(options.dir);
  if (pid === undefined) return undefined;
  const api = createRuntimeApi({ socketPath: options.statsSocket, timeoutMs: 2000 });
  const workerPid = async () => Number(/^Pid: (\d+)$/m.exec(await api.command("show info"))?.[1] ?? 0);
  const answers = await Promise.all([
    sendCommand(masterSocket, "show proc", 2000).catch(() => ""),
    workerPid().catch(() => 0),
  ]);
  if (!answers[0].includes("master") || answers[1] <= 0) return undefined;
  let stderr = "";
  const readLog = async () => {
    stderr = await readFile(join(options.dir, HAPROXY_LOG), "utf8").catch(() => stderr);
  };
  await readLog();
  let stopping = false;
  const alive = () => isAlive(pid);
  const exited = (async (): Promise<HaproxyExit> => {
    while (alive()) await delay(500, undefined, { ref: false });
    await readLog();
    return { code: null, signal: null, stderr: tail(stderr) };
  })();
  void exited.then((e) => {
    if (!stopping) options.onExit?.(e);
  });
  return haproxyHandle({
    binary,
    dir: options.dir,
    masterSocket,
    serverStateFile: options.serverStateFile,
    timeoutMs,
    api,
    masterPid: pid,
    workerPid,
    alive,
    readLog,
    stderr: () => stderr,
    exited,
    stop: async () => {
      stopping = true;
      if (!alive()) return;
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + 5000;
      while (alive() && Date.now() < deadline) await delay(50);
      if (alive()) process.kill(pid, "SIGKILL");
      await exited;
    },
  });
}
