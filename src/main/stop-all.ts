/**
 * `slipway stop --all`: what `slipway server` leaves running on purpose when it exits (ADR 0026)
 * — its instances' sandboxes, their app networks and nft table, and HAProxy — stopped and removed,
 * for users who want nothing left behind (and for tests). Run it after the server has stopped;
 * `slipway server --stop-instances-on-exit` does the same at the server's exit.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { runningHaproxyPid } from "../router/index.js";
import {
  createAppNetworkHost,
  listContainers,
  releaseRunscRoots,
  stopContainer,
} from "../runtime/local/index.js";

/** Options of {@link stopAll}. */
export interface StopAllOptions {
  dataDir: string;
  /** The server's `--network-prefix`; default `slw`. */
  networkPrefix?: string;
  /** SIGTERM grace of each sandbox before SIGKILL. Default 5 s. */
  graceMs?: number;
}

/** Stops the sandboxes, networks and HAProxy a server on `dataDir` left; returns what it stopped. */
export async function stopAll(options: StopAllOptions): Promise<{ sandboxes: number; haproxy: boolean }> {
  const workRoot = join(options.dataDir, "runtime");
  const stateRoot = join(workRoot, "state");
  const containers = await listContainers(stateRoot);
  await Promise.all(
    containers.map((c) => stopContainer({ stateRoot, id: c.id, graceMs: options.graceMs ?? 5000 })),
  );
  for (const dir of ["bundles", "output", "hosts"])
    await rm(join(workRoot, dir), { recursive: true, force: true });
  // Nothing of runsc's stays mounted in the data dir: it can be removed now.
  await releaseRunscRoots(options.dataDir);
  await createAppNetworkHost({ prefix: options.networkPrefix ?? "slw" }).removeAll();
  const routerDir = join(options.dataDir, "router");
  const pid = await runningHaproxyPid(routerDir);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && (await runningHaproxyPid(routerDir)) !== undefined; i++) await delay(50);
    if ((await runningHaproxyPid(routerDir)) !== undefined) process.kill(pid, "SIGKILL");
  }
  await rm(join(routerDir, "router-state.json"), { force: true });
  return { sandboxes: containers.length, haproxy: pid !== undefined };
}

/** `slipway stop --all [--data-dir DIR] [--network-prefix P]`; returns the exit code. */
export async function runStopAll(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      all: { type: "boolean" },
      "data-dir": { type: "string" },
      "network-prefix": { type: "string" },
    },
  });
  if (values.all !== true) {
    process.stderr.write(
      "slipway stop: say --all (stops every instance, app network and HAProxy of a stopped server)\n",
    );
    return 2;
  }
  const dataDir = values["data-dir"] ?? process.env.SLIPWAY_DATA_DIR ?? "/var/lib/slipway";
  const done = await stopAll({
    dataDir,
    ...(values["network-prefix"] === undefined ? {} : { networkPrefix: values["network-prefix"] }),
  });
  process.stdout.write(
    `slipway: stopped ${done.sandboxes} sandboxes${done.haproxy ? " and HAProxy" : ""} of ${dataDir}\n`,
  );
  return 0;
}
