/**
 * The router's side of outliving the control plane (ADR 0026): after every apply the sync saves
 * what it believes HAProxy holds (`router-state.json` beside haproxy.cfg); a new sync on the same
 * directory adopts the running HAProxy together with that state, so its first apply plans from
 * what is really loaded (runtime API commands only, or nothing, when nothing changed) instead of
 * starting a second HAProxy. A HAProxy found without a saved state is stopped: its slots cannot
 * be known, and the port must be free for a new one.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { adoptHaproxy, runningHaproxyPid } from "./haproxy-adopt.js";
import type { HaproxyExit, HaproxyProcess } from "./haproxy-process.js";
import { writeAtomic } from "./haproxy-process.js";
import type { RouterState } from "./router-state.js";

const STATE_FILE = "router-state.json";

/** Options of {@link adoptRouter}. */
export interface AdoptRouterOptions {
  dir: string;
  statsSocket: string;
  serverStateFile: string;
  binary?: string;
  onExit?: (exit: HaproxyExit) => void;
}

/** Saves the state the sync believes HAProxy holds. */
export async function saveRouterState(dir: string, state: RouterState): Promise<void> {
  await writeAtomic(join(dir, STATE_FILE), JSON.stringify(state));
}

/** The running HAProxy on `dir` and its saved state, or undefined (after stopping a HAProxy that cannot be adopted). */
export async function adoptRouter(
  options: AdoptRouterOptions,
): Promise<{ haproxy: HaproxyProcess; state: RouterState } | undefined> {
  const saved = await readFile(join(options.dir, STATE_FILE), "utf8")
    .then((text) => JSON.parse(text) as RouterState)
    .catch(() => undefined);
  const haproxy = await adoptHaproxy({
    dir: options.dir,
    statsSocket: options.statsSocket,
    serverStateFile: options.serverStateFile,
    ...(options.binary === undefined ? {} : { binary: options.binary }),
    ...(options.onExit === undefined ? {} : { onExit: options.onExit }),
  });
  if (haproxy !== undefined && isRouterState(saved)) {
    // JSON turned free slots (undefined) into null.
    const slots = Object.fromEntries(
      Object.entries(saved.slots).map(([name, list]) => [name, list.map((slot) => slot ?? undefined)]),
    );
    return { haproxy, state: { ...saved, slots } };
  }
  if (haproxy !== undefined) await haproxy.stop();
  else {
    // Running but not answering: it still holds the port.
    const pid = await runningHaproxyPid(options.dir);
    if (pid !== undefined) process.kill(pid, "SIGKILL");
  }
  return undefined;
}

function isRouterState(value: unknown): value is RouterState {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<RouterState>;
  return (
    typeof v.structure === "string" &&
    Array.isArray(v.specs) &&
    typeof v.slotCounts === "object" &&
    typeof v.placement === "object" &&
    typeof v.slots === "object" &&
    typeof v.maps === "object"
  );
}
