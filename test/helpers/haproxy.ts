/**
 * Starting a real HAProxy for a test: `haproxy -W -db` (master-worker, so SIGUSR2 reloads it
 * seamlessly) with the test's own config and runtime API socket; `stop()` kills it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRuntimeApi, type RuntimeApi } from "../../src/router/index.js";
import { waitFor } from "./wait-for.js";

/** A running HAProxy. */
export interface TestHaproxy {
  proc: ChildProcess;
  api: RuntimeApi;
  /** What HAProxy wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** The worker's PID as the runtime API reports it. */
  workerPid(): Promise<number>;
  /** Reloads the config (SIGUSR2 to the master) and waits until a new worker answers. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts HAProxy on `configFile` and waits until its runtime API answers. */
export async function startHaproxy(configFile: string, statsSocket: string): Promise<TestHaproxy> {
  const proc = spawn("haproxy", ["-W", "-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  proc.on("error", (err) => {
    stderr += `${err.message} (is haproxy installed? scripts/install.sh installs it)`;
  });
  const api = createRuntimeApi({ socketPath: statsSocket, timeoutMs: 2000 });
  const workerPid = async () => Number(/^Pid: (\d+)$/m.exec(await api.command("show info"))?.[1]);
  const answers = async () =>
    proc.exitCode === null &&
    (await workerPid().then(
      (pid) => pid > 0,
      () => false,
    ));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await once(proc, "exit");
    }
  };
  await waitFor(answers, 10_000, "haproxy's runtime API").catch(async (err: Error) => {
    await stop();
    throw new Error(`${err.message}; haproxy said: ${stderr}`);
  });
  return {
    proc,
    api,
    stderr: () => stderr,
    workerPid,
    reload: async () => {
      const before = await workerPid();
      proc.kill("SIGUSR2");
      const replaced = async () => (await workerPid().catch(() => before)) !== before;
      await waitFor(replaced, 10_000, "a new haproxy worker after reload").catch((err: Error) => {
        throw new Error(`${err.message}; haproxy said: ${stderr}`);
      });
    },
    stop,
  };
}

/** An HTTP server answering `<name> <url>`, and its port. */
export async function startEcho(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`${name} ${req.url ?? ""}`));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

const handedOut = new Set<number>();

/**
 * A loopback port that was free a moment ago and that this process has not
 * handed out before. The kernel may give the same port to two successive
 * `listen(0)` calls once the first socket is closed, so callers that take
 * several ports before starting anything (Pebble takes four) would otherwise
 * get the same one twice and fail with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { server, port } = await startEcho("probe");
    await new Promise((resolve) => server.close(resolve));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no loopback port this process has not handed out before after 100 attempts");
}
