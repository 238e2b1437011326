/**
 * A supervised HAProxy 2.6 in master-worker mode (ADR 0017): `haproxy -W -S <master socket>`
 * on Slipway's config directory. A reload writes the candidate files, checks them with
 * `haproxy -c` first (a bad config never replaces a running good one: the old files are put back
 * and the old worker keeps serving), saves the slots' states to the server-state file, then asks
 * the master to reload; the master hands the listening sockets to the new worker, so no
 * connection is refused.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { SlipwayError } from "../resources/index.js";
import type { HaproxyConfig } from "./haproxy-config.js";
import { createRuntimeApi, type RuntimeApi, sendCommand } from "./runtime-api.js";

/** Options of {@link startHaproxy}. */
export interface HaproxyProcessOptions {
  /** Slipway's config directory: haproxy.cfg, the map files, the master socket, pid and state files. */
  dir: string;
  /** The first configuration (its maps go to `dir`; render with `mapDir: dir`). */
  config: HaproxyConfig;
  /** The admin runtime API socket the config declares (`statsSocket`). */
  statsSocket: string;
  /** The server-state file the config declares (`reloadable.serverStateFile`). */
  serverStateFile: string;
  /** The haproxy binary. Default `haproxy` (Debian's 2.6). */
  binary?: string;
  /** How long start and reload may take. Default 15 s. */
  timeoutMs?: number;
  /** Called once if the master exits without `stop()` (a crash, or killed). */
  onExit?: (exit: HaproxyExit) => void;
  /**
   * Runs HAProxy in its own session with stderr in `<dir>/haproxy.log`, so it outlives this
   * process and a later one adopts it (adoptHaproxy, ADR 0026). Default false (a child).
   */
  detached?: boolean;
}

/** Options of {@link HaproxyProcess.reload}. */
export interface ReloadOptions {
  /** Which backends' slot states the next worker inherits. Default: all. */
  keepState?: (backend: string) => boolean;
}

/** How the master process ended. */
export interface HaproxyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines HAProxy wrote to stderr. */
  stderr: string;
}

/** A running HAProxy. */
export interface HaproxyProcess {
  /** The worker's runtime API. */
  readonly api: RuntimeApi;
  /** The master's PID. */
  readonly masterPid: number;
  /** The current worker's PID (`show info`). */
  workerPid(): Promise<number>;
  /** Checks a configuration with `haproxy -c` (written to a scratch file); throws `invalid_argument` with HAProxy's alerts. */
  validate(config: HaproxyConfig): Promise<void>;
  /**
   * Replaces the configuration with a seamless reload and resolves with the new worker's PID. A
   * config `haproxy -c` refuses is an `invalid_argument` error and changes nothing.
   */
  reload(config: HaproxyConfig, options?: ReloadOptions): Promise<number>;
  /** Resolves when the master has exited (after `stop()` or a crash). */
  readonly exited: Promise<HaproxyExit>;
  /** What HAProxy wrote to stderr (bounded). */
  stderr(): string;
  /** Stops HAProxy (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const CONFIG_FILE = "haproxy.cfg";
/** A detached HAProxy's stderr, in its config directory. */
export const HAPROXY_LOG = "haproxy.log";
const STDERR_LIMIT = 64 * 1024;

/** Writes the config and maps to `options.dir`, validates them, starts the master and waits for a worker. */
export async function startHaproxy(options: HaproxyProcessOptions): Promise<HaproxyProcess> {
  const binary = options.binary ?? "haproxy";
  const timeoutMs = options.timeoutMs ?? 15_000;
  const masterSocket = join(options.dir, "master.sock");
  let readLog: () => Promise<void> = async () => undefined;
  const configFile = join(options.dir, CONFIG_FILE);
  await checkConfig(binary, options.dir, options.config);
  await writeConfig(options.dir, options.config);
  await writeFile(options.serverStateFile, "1\n");
  const args = [
    "-W",
    "-S",
    `${masterSocket},mode,600`,
    "-p",
    join(options.dir, "haproxy.pid"),
    "-f",
    configFile,
  ];
  const logFile = options.detached === true ? await open(join(options.dir, HAPROXY_LOG), "w") : undefined;
  const proc = spawn(binary, args, {
    stdio: ["ignore", "ignore", logFile?.fd ?? "pipe"],
    detached: options.detached === true,
  });
  await logFile?.close();
  if (options.detached === true) proc.unref();
  let stderr = "";
  const log = (text: string) => {
    stderr = (stderr + text).slice(-STDERR_LIMIT);
  };
  proc.stderr?.on("data", (c: Buffer) => log(c.toString()));
  if (logFile !== undefined) {
    const file = join(options.dir, HAPROXY_LOG);
    const refresh = async () => log((await readFile(file, "utf8").catch(() => "")).slice(stderr.length));
    proc.on("exit", () => void refresh());
    readLog = refresh;
  }
  proc.on("error", (err) => log(`${err.message} (is haproxy installed? scripts/install.sh installs it)\n`));
  let stopping = false;
  const exited = exitOf(proc).then((e) => ({ ...e, stderr: tail(stderr) }));
  void exited.then((e) => {
    if (!stopping) options.onExit?.(e);
  });
  const api = createRuntimeApi({ socketPath: options.statsSocket, timeoutMs: 2000 });
  const workerPid = async () => Number(/^Pid: (\d+)$/m.exec(await api.command("show info"))?.[1] ?? 0);
  const stop = async () => {
    stopping = true;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  try {
    await until(async () => alive() && (await workerPid().catch(() => 0)) > 0, timeoutMs, alive);
  } catch (err) {
    await stop();
    await readLog();
    throw new SlipwayError(
      "unavailable",
      `haproxy did not start: ${(err as Error).message}; it said: ${tail(stderr)}`,
    );
  }
  return haproxyHandle({
    binary,
    dir: options.dir,
    masterSocket,
    serverStateFile: options.serverStateFile,
    timeoutMs,
    api,
    masterPid: proc.pid ?? 0,
    workerPid,
    alive,
    readLog,
    stderr: () => stderr,
    exited,
    stop,
  });
}

/** What a seamless reload needs of a running HAProxy, one this process started or adopted. */
export interface ReloadTarget {
  binary: string;
  /** The config directory (haproxy.cfg and the maps). */
  dir: string;
  masterSocket: string;
  serverStateFile: string;
  timeoutMs: number;
  api: RuntimeApi;
  workerPid(): Promise<number>;
  alive(): boolean;
  /** What it has said so far (read afresh: a detached HAProxy writes it to a file). */
  stderr(): Promise<string>;
}

/** The parts of a running HAProxy that make a {@link HaproxyProcess}. */
export interface HaproxyParts extends Omit<ReloadTarget, "stderr"> {
  masterPid: number;
  /** Refreshes what `stderr()` returns (a detached HAProxy writes it to a file). */
  readLog(): Promise<void>;
  stderr(): string;
  exited: Promise<HaproxyExit>;
  stop(): Promise<void>;
}

/** A {@link HaproxyProcess} from its parts: the same checks and reloads for a started or adopted one. */
export function haproxyHandle(p: HaproxyParts): HaproxyProcess {
  return {
    api: p.api,
    masterPid: p.masterPid,
    workerPid: p.workerPid,
    validate: (config) => checkConfig(p.binary, p.dir, config),
    reload: seamlessReloader({
      ...p,
      stderr: async () => {
        await p.readLog();
        return p.stderr();
      },
    }),
    exited: p.exited,
    stderr: p.stderr,
    stop: p.stop,
  };
}

/**
 * The reload of {@link HaproxyProcess}: checks the candidate, saves the slot states for the next
 * worker, writes the files, asks the master to reload and waits for a new worker. One at a time.
 */
export function seamlessReloader(t: ReloadTarget): HaproxyProcess["reload"] {
  let reloading: Promise<unknown> = Promise.resolve();
  return (config, ro = {}) => {
    const run = reloading.then(async () => {
      await checkConfig(t.binary, t.dir, config);
      const before = await t.workerPid();
      // Slot states set through the runtime API, for the next worker (load-server-state-from-file).
      const state = await t.api.command("show servers state");
      await writeAtomic(t.serverStateFile, filterState(state, ro.keepState));
      await writeConfig(t.dir, config);
      await masterCommand(t.masterSocket, "reload", t.timeoutMs, t.alive);
      let pid = 0;
      await until(
        async () => {
          pid = await t.workerPid().catch(() => before);
          return pid !== before && pid > 0;
        },
        t.timeoutMs,
        t.alive,
      ).catch(async (err: Error) => {
        const said = tail(await t.stderr());
        throw new SlipwayError("unavailable", `haproxy reload: ${err.message}; it said: ${said}`);
      });
      return pid;
    });
    reloading = run.catch(() => undefined);
    return run;
  };
}

/**
 * Runs `haproxy -c` on a scratch copy: the config with its map directory pointed at a scratch
 * folder holding the candidate maps, so the live files are untouched until the check passes.
 */
export async function checkConfig(binary: string, dir: string, config: HaproxyConfig): Promise<void> {
  const scratch = join(dir, `check-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    let text = config.config;
    for (const name of Object.keys(config.maps)) text = text.replaceAll(join(dir, name), join(scratch, name));
    await writeConfig(scratch, { config: text, maps: config.maps });
    const result = await run(binary, ["-c", "-f", join(scratch, CONFIG_FILE)]);
    if (result.code !== 0) {
      const alerts = result.stderr
        .split("\n")
        .filter((l) => l.includes("ALERT"))
        .join("\n");
      throw new SlipwayError(
        "invalid_argument",
        `haproxy refused the new configuration (the running one keeps serving): ${alerts || result.stderr}`,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes the maps, then the config, each atomically. */
export async function writeConfig(dir: string, config: HaproxyConfig): Promise<void> {
  for (const [name, text] of Object.entries(config.maps)) await writeAtomic(join(dir, name), text);
  await writeAtomic(join(dir, CONFIG_FILE), config.config);
}

/** Writes beside the target and renames, so HAProxy never reads half a file. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

function run(binary: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({
        code,
        stderr: `${stderr}${err !== null && typeof err.code !== "number" ? err.message : ""}`,
      });
    });
  });
}

async function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return { code: proc.exitCode, signal: proc.signalCode };
  const [code, signal] = (await once(proc, "exit")) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

/** Polls `ok` until true; fails early when `alive` turns false. */
export async function until(
  ok: () => Promise<boolean>,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await ok()) return;
    if (!alive()) throw new Error("haproxy exited");
    if (Date.now() - start > timeoutMs) throw new Error(`no answer within ${timeoutMs} ms`);
    await delay(5);
  }
}

/** The last 20 lines of `text`. */
export function tail(text: string): string {
  return text.trim().split("\n").slice(-20).join("\n");
}

/** Keeps the version and header lines and the slots of the backends `keep` accepts. */
export function filterState(state: string, keep: ((backend: string) => boolean) | undefined): string {
  if (keep === undefined) return state;
  return state
    .split("\n")
    .filter((line) => line === "1" || line.startsWith("#") || line === "" || keep(line.split(" ")[1] ?? ""))
    .join("\n");
}

/**
 * Sends a master CLI command, retrying while the socket refuses: right after a reload the
 * master re-executes itself and its CLI socket is briefly absent.
 */
export async function masterCommand(
  socket: string,
  cmd: string,
  timeoutMs: number,
  alive: () => boolean,
): Promise<string> {
  const start = Date.now();
  for (;;) {
    try {
      return await sendCommand(socket, cmd, timeoutMs);
    } catch (err) {
      const refused = /ECONNREFUSED|ENOENT/.test((err as Error).message);
      if (!refused || !alive() || Date.now() - start > timeoutMs) throw err;
      await delay(10);
    }
  }
}
