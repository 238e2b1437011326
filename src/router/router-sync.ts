/**
 * Keeps a real HAProxy in step with the desired state (ADR 0017): plans the difference
 * (`planRouterChanges`), applies it through the runtime API or, for structural changes, a
 * checked seamless reload, and then reads HAProxy's own state back (`show servers state`,
 * `show map`) and corrects what differs — it never assumes a command took effect.
 */
import { join } from "node:path";
import { SlipwayError } from "../resources/index.js";
import type { HaproxyConfigOptions } from "./haproxy-config.js";
import { type HaproxyExit, type HaproxyProcess, startHaproxy } from "./haproxy-process.js";
import { adoptRouter, saveRouterState } from "./router-adopt.js";
import {
  type DesiredRouterState,
  type PlanOptions,
  planRouterChanges,
  type RouterCommand,
  type RouterPlan,
  type RouterState,
  type SlotState,
  slotCommands,
} from "./router-plan.js";
import { parseServersState, type RuntimeApi, type ServerState } from "./runtime-api.js";

/** Render options the sync owns itself (sockets, map dir, slots, reload support). */
type OwnedOptions = "mapDir" | "statsSocket" | "reloadable" | "servers" | "backendSlots" | "metricsSocket";

/** Options of {@link createRouterSync}. */
export interface RouterSyncOptions {
  /** The config directory (haproxy.cfg, maps, sockets, state file); must exist. */
  dir: string;
  /** How HAProxy is rendered: port, bind address, TLS, JWT keys, fairness, slots, spares. */
  render: Omit<HaproxyConfigOptions, OwnedOptions>;
  /** The static server and edge cache, for desired states with `staticSites` (ADR 0014). */
  static?: PlanOptions["static"];
  /** How long a removed endpoint drains before its slot is put in maintenance and freed. Default 10 s. */
  drainMs?: number;
  /** The haproxy binary. Default `haproxy`. */
  binary?: string;
  /** The clock (epoch ms). Default Date.now. */
  now?: () => number;
  /** Called if HAProxy exits on its own. */
  onExit?: (exit: HaproxyExit) => void;
  /** Called when a timer-driven apply (finishing drains) fails; `apply` callers get their own errors. */
  onError?: (err: Error) => void;
  /**
   * HAProxy outlives this process (ADR 0026): started detached, its state saved after each apply,
   * and a HAProxy a previous sync left on `dir` adopted instead of started. Default false.
   */
  survive?: boolean;
}

/** What one {@link RouterSync.apply} did. */
export interface ApplyResult {
  reloaded: boolean;
  reasons: string[];
  /** Runtime API commands sent (corrections after the read-back included). */
  commands: RouterCommand[];
  /** The worker serving afterwards. */
  workerPid: number;
}

/** A running HAProxy kept in step with a desired state. */
export interface RouterSync {
  /** Makes HAProxy serve `desired`; calls are serialized. A refused config throws and changes nothing. */
  apply(desired: DesiredRouterState): Promise<ApplyResult>;
  /** What the sync believes HAProxy holds (confirmed by the last read-back). */
  state(): RouterState;
  readonly haproxy: HaproxyProcess;
  /** The UNIX socket serving HAProxy's Prometheus exporter at `/metrics` (ADR 0022). */
  readonly metricsSocket: string;
  /** Stops the drain timer and HAProxy. */
  stop(): Promise<void>;
  /** Stops the drain timer and leaves HAProxy serving (for the next sync on `dir` to adopt). */
  release(): Promise<void>;
  /** True when HAProxy was adopted rather than started. */
  readonly adopted: boolean;
}

/** Starts HAProxy serving `initial` and returns the sync that moves it to later states. */
export async function createRouterSync(
  options: RouterSyncOptions,
  initial: DesiredRouterState,
): Promise<RouterSync> {
  const now = options.now ?? Date.now;
  const drainMs = options.drainMs ?? 10_000;
  const statsSocket = join(options.dir, "admin.sock");
  const serverStateFile = join(options.dir, "server-state");
  const render: HaproxyConfigOptions = {
    ...options.render,
    mapDir: options.dir,
    statsSocket,
    reloadable: { serverStateFile },
    metricsSocket: join(options.dir, "metrics.sock"),
  };
  const plan = (current: RouterState | undefined, desired: DesiredRouterState) =>
    planRouterChanges(current, desired, {
      render,
      drainMs,
      now: now(),
      ...(options.static ? { static: options.static } : {}),
    });
  const first = plan(undefined, initial);
  if (first.config === undefined) throw new Error("first plan has no config");
  const proc = {
    ...(options.binary ? { binary: options.binary } : {}),
    ...(options.onExit ? { onExit: options.onExit } : {}),
  };
  const adopted =
    options.survive === true
      ? await adoptRouter({ dir: options.dir, statsSocket, serverStateFile, ...proc })
      : undefined;
  const haproxy =
    adopted?.haproxy ??
    (await startHaproxy({
      dir: options.dir,
      config: first.config,
      statsSocket,
      serverStateFile,
      ...proc,
      ...(options.survive === true ? { detached: true } : {}),
    }));
  let state = adopted?.state ?? first.next;
  const save = async () => {
    if (options.survive === true) await saveRouterState(options.dir, state);
  };
  let last = initial;
  let queue: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const applyPlan = async (p: RouterPlan): Promise<ApplyResult> => {
    const sent = [...p.runtime];
    for (const cmd of p.runtime) await runCommand(haproxy.api, cmd, options.dir);
    if (p.reload && p.config !== undefined) {
      const keep = new Set(p.next.specs.map((b) => b.name));
      await haproxy.reload(p.config, { keepState: (backend) => keep.has(backend) });
    }
    sent.push(...(await confirm(haproxy.api, p.next, options.dir)));
    state = p.next;
    await save();
    return { reloaded: p.reload, reasons: p.reasons, commands: sent, workerPid: await haproxy.workerPid() };
  };
  const schedule = (p: RouterPlan) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (p.nextCheckAt === undefined || stopped) return;
    const retry = () => void apply(last).catch((err: Error) => options.onError?.(err));
    timer = setTimeout(retry, Math.max(0, p.nextCheckAt - now()) + 5);
    timer.unref();
  };
  const apply = (desired: DesiredRouterState): Promise<ApplyResult> => {
    const run = queue.then(async () => {
      last = desired;
      const p = plan(state, desired);
      const result = await applyPlan(p);
      schedule(p);
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  };
  if (adopted === undefined) {
    // The first worker loaded everything from files; read it back like any other change.
    await confirm(haproxy.api, state, options.dir);
    await save();
    schedule(first);
  } else {
    // From what the adopted HAProxy holds: nothing to do when nothing changed meanwhile.
    await apply(initial);
  }
  const halt = async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    await queue;
  };
  return {
    apply,
    state: () => state,
    haproxy,
    metricsSocket: join(options.dir, "metrics.sock"),
    adopted: adopted !== undefined,
    stop: async () => {
      await halt();
      await haproxy.stop();
    },
    release: halt,
  };
}

/** Sends one planned command (map commands name the file in `mapDir`, as the config does). */
export async function runCommand(api: RuntimeApi, cmd: RouterCommand, mapDir: string): Promise<void> {
  switch (cmd.kind) {
    case "set-addr":
      return api.setServer(cmd.backend, cmd.slot, cmd.addr, cmd.port);
    case "set-weight":
      return api.setWeight(cmd.backend, cmd.slot, cmd.weight);
    case "set-state":
      if (cmd.state === "ready") {
        await api.enableServer(cmd.backend, cmd.slot);
        // Endpoints are ready by Slipway's own readiness check (or are the activator, ADR 0023):
        // serve at once instead of after HAProxy's `rise` checks (4 s in which a switch from
        // drained slots to new ones would answer 503).
        return api.markServerUp(cmd.backend, cmd.slot);
      }
      if (cmd.state === "drain") return api.drainServer(cmd.backend, cmd.slot);
      return api.disableServer(cmd.backend, cmd.slot);
    case "replace-map":
      return replaceMap(api, join(mapDir, cmd.map), cmd.text);
    default: {
      const never: never = cmd;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** Replaces a map's contents atomically: prepare a new version, fill it, commit it. */
async function replaceMap(api: RuntimeApi, map: string, text: string): Promise<void> {
  const prepared = await api.command(`prepare map ${map}`);
  const version = /New version created: (\d+)/.exec(prepared)?.[1];
  if (version === undefined)
    throw new SlipwayError("internal", `haproxy: prepare map ${map}: ${prepared.trim()}`);
  const body = text.trimEnd();
  if (body !== "") {
    const answer = await api.commandWithPayload(`add map @${version} ${map}`, body);
    if (answer.trim() !== "") throw new SlipwayError("internal", `haproxy: add map ${map}: ${answer.trim()}`);
  }
  const committed = await api.command(`commit map @${version} ${map}`);
  if (committed.trim() !== "")
    throw new SlipwayError("internal", `haproxy: commit map ${map}: ${committed.trim()}`);
}

/**
 * Reads every slot and map back and corrects differences (twice at most); returns the
 * corrections sent. Throws `internal` when HAProxy still disagrees.
 */
async function confirm(api: RuntimeApi, expected: RouterState, mapDir: string): Promise<RouterCommand[]> {
  const sent: RouterCommand[] = [];
  for (let round = 0; round < 3; round++) {
    const fixes = await differences(api, expected, mapDir);
    if (fixes.length === 0) return sent;
    if (round === 2) {
      throw new SlipwayError(
        "internal",
        `haproxy does not hold the planned state: ${JSON.stringify(fixes.slice(0, 5))}`,
      );
    }
    for (const cmd of fixes) await runCommand(api, cmd, mapDir);
    sent.push(...fixes);
  }
  return sent;
}

async function differences(api: RuntimeApi, expected: RouterState, mapDir: string): Promise<RouterCommand[]> {
  const out: RouterCommand[] = [];
  const all = parseServersState(await api.command("show servers state"));
  for (const [backend, count] of Object.entries(expected.slotCounts)) {
    const want = expected.slots[backend] ?? [];
    const observed = all.filter((s) => s.backend === backend);
    const have = Array.from({ length: count }, (_, i) =>
      observedSlot(observed.find((s) => s.name === `s${i + 1}`)),
    );
    // HAProxy does not know endpoint ids: compare what it does know.
    const target = Array.from({ length: count }, (_, i) => {
      const w = want[i];
      return w === undefined
        ? undefined
        : { endpoint: "", addr: w.addr, port: w.port, weight: w.weight, state: w.state };
    });
    out.push(...slotCommands(backend, have, target));
  }
  for (const [map, text] of Object.entries(expected.maps)) {
    const shown = await api.command(`show map ${join(mapDir, map)}`);
    if (mapLines(shown) !== text.trimEnd()) out.push({ kind: "replace-map", map, text });
  }
  return out;
}

/** A slot as HAProxy shows it; maintenance is a free slot. The endpoint id is unknowable, so the address stands in. */
function observedSlot(s: ServerState | undefined): SlotState | undefined {
  if (s === undefined || (s.adminState & 0x23) !== 0) return undefined;
  const state = (s.adminState & 0x18) !== 0 ? "drain" : "ready";
  return { endpoint: "", addr: s.addr, port: s.port, weight: s.weight, state };
}

/** `show map` lines (`<ref> <key> <value>`) back to the file's `<key> <value>` lines. */
function mapLines(shown: string): string {
  return shown
    .split("\n")
    .filter((l) => l.startsWith("0x"))
    .map((l) => l.slice(l.indexOf(" ") + 1))
    .join("\n");
}
