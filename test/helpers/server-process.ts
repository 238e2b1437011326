/**
 * The real binaries for end-to-end tests: `slipway server` started on a loopback port with its own
 * data directory, and the `slipway` CLI run as a user would.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";

/** The `slipway` command of this checkout. */
export const SLIPWAY_BIN = join(repoRoot(), "bin", "slipway.js");

/** How one CLI run ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `slipway ARGS` with a clean environment plus `env`; resolves when it exits (30 s at most). */
export function slipway(args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [SLIPWAY_BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? "/nonexistent", ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

/** A running server. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The router's port on 127.0.0.1: apps answer at `http://<app>.localhost:<port>`. */
  httpPort: number;
  /** The router's HTTPS port on 127.0.0.1 (`https://<app>.localhost:<port>`, local CA). */
  httpsPort: number;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Its `--network-prefix` (a restart on the same data directory passes it again). */
  prefix: string;
  /**
   * SIGTERM, then waits for the exit; SIGKILL after `timeoutMs` (default 60 s). Resolves with
   * the exit code. Unless started with `keepRunning`, the server stops its instances and HAProxy
   * first (`--stop-instances-on-exit`).
   */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL (a crash): instances and HAProxy keep running. */
  kill(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /**
   * Leave instances and HAProxy running when the server exits, as users' servers do (ADR 0026);
   * the test then cleans up with {@link stopLeftovers}. Default false: the server stops them.
   */
  keepRunning?: boolean;
  /** Default: a new prefix unique to this test process and server. */
  networkPrefix?: string;
}

let servers = 0;

/**
 * Starts `slipway server --data-dir DIR --listen 127.0.0.1:0 --http-listen 127.0.0.1:0
 * --https-listen 127.0.0.1:0 ...extra`; resolves once it listens.
 * Each server gets its own network prefix, so servers of tests running at once never touch each
 * other's app networks.
 */
export function startServer(
  dataDir: string,
  extra: string[] = [],
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const prefix =
    options.networkPrefix ?? `t${(process.pid % 36 ** 4).toString(36)}${(servers++ % 36).toString(36)}`;
  const child = spawn(
    process.execPath,
    [
      SLIPWAY_BIN,
      "server",
      "--data-dir",
      dataDir,
      "--listen",
      "127.0.0.1:0",
      "--network-prefix",
      prefix,
      // Free ports, not the defaults 8080/8443 that servers of tests running at once would share.
      "--http-listen",
      "127.0.0.1:0",
      "--https-listen",
      "127.0.0.1:0",
      ...(options.keepRunning === true ? [] : ["--stop-instances-on-exit"]),
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /API listening on (http:\/\/\S+)/.exec(out);
      const served = /apps served at http:\/\/\S+:(\d+)/.exec(out);
      const secure = /apps served at https:\/\/\S+:(\d+)/.exec(out);
      if (m?.[1] !== undefined && served?.[1] !== undefined && secure?.[1] !== undefined)
        resolve({
          child,
          url: m[1],
          httpPort: Number(served[1]),
          httpsPort: Number(secure[1]),
          stderr: () => err,
          prefix,
          stop: (ms) => stopChild(child, ms),
          kill: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGKILL");
            await exited;
          },
        });
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

function stopChild(child: ChildProcess, timeoutMs = 60_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

/**
 * `slipway stop --all` for a server's data directory and prefix: stops the sandboxes, networks and
 * HAProxy a server left running (tests that keep them running clean up with it, also on failure).
 */
export async function stopLeftovers(dataDir: string, networkPrefix: string): Promise<void> {
  const run = await slipway(["stop", "--all", "--data-dir", dataDir, "--network-prefix", networkPrefix], {});
  if (run.code !== 0) throw new Error(`slipway stop --all failed: ${run.stderr}`);
}
