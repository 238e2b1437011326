/**
 * Planning the difference between what HAProxy runs and what is desired (ADR 0017). Pure: the
 * same state, desired state, options and clock give the same plan. Endpoint changes and new
 * hosts or paths become runtime API commands; only structural changes (a backend's settings, more
 * slots than it has, an app with no free spare backend, CORS policies, JWT keys, TLS, fairness)
 * need a reload.
 */
import {
  type HaproxyConfig,
  type HaproxyConfigOptions,
  renderHaproxyConfig,
  type SlotServer,
  spareBackendName,
} from "./haproxy-config.js";
import { type BackendSpec, backendName, type RouteTable } from "./route-table.js";
import {
  renderStaticBackend,
  renderStaticCache,
  type StaticBackendOptions,
  type StaticBackendSite,
  type StaticCacheOptions,
} from "./static/render-static-backend.js";

/** One instance of a component. */
export interface Endpoint {
  /** Stable id (the instance's name); slots follow ids, not addresses. */
  id: string;
  address: string;
  port: number;
  /** 0-256. Default 1. */
  weight?: number;
  /** Finish requests in flight, take no new ones. */
  draining?: boolean;
}

/** The instances of one component. */
export interface BackendEndpoints {
  app: string;
  component: string;
  endpoints: readonly Endpoint[];
}

/** What the router should serve: the route table and every backend's instances. */
export interface DesiredRouterState {
  table: RouteTable;
  endpoints: readonly BackendEndpoints[];
  /**
   * Static-site components served by the shared static server (ADR 0014): their backends are
   * the static server's, not slots. Needs {@link PlanOptions.static}.
   */
  staticSites?: readonly StaticBackendSite[];
}

/** One occupied slot. A free slot is `undefined` (HAProxy has it in maintenance). */
export interface SlotState {
  endpoint: string;
  addr: string;
  port: number;
  weight: number;
  state: "ready" | "drain";
  /** For an endpoint no longer desired: when its slot is freed (epoch ms). */
  drainUntil?: number;
}

/** What the router has put in HAProxy (what the plan starts from). */
export interface RouterState {
  /** The loaded config rendered without slot contents: structural changes show up here. */
  structure: string;
  /** The real backends of the loaded config (kept after their app goes, until a reload). */
  specs: BackendSpec[];
  /** Slots of every loaded backend, spares included. */
  slotCounts: Record<string, number>;
  /** Backend (`<app>__<component>`) -> the HAProxy backend serving it (itself or a spare). */
  placement: Record<string, string>;
  /** HAProxy backend -> its slots (index 0 is `s1`). */
  slots: Record<string, (SlotState | undefined)[]>;
  /** Map file name -> the contents HAProxy holds. */
  maps: Record<string, string>;
}

/** One runtime API change. */
export type RouterCommand =
  | { kind: "set-addr"; backend: string; slot: number; addr: string; port: number }
  | { kind: "set-weight"; backend: string; slot: number; weight: number }
  | { kind: "set-state"; backend: string; slot: number; state: "ready" | "drain" | "maint" }
  | { kind: "replace-map"; map: string; text: string };

/** Options of {@link planRouterChanges}. */
export interface PlanOptions {
  /** Render options (port, sockets, map dir, TLS, JWT keys, fairness, slots, spares). */
  render: HaproxyConfigOptions;
  /** How long a removed endpoint drains before its slot is freed. */
  drainMs: number;
  /** The clock (epoch ms). */
  now: number;
  /** Where the static server listens, and the edge cache; required when there are static sites. */
  static?: StaticBackendOptions & { cache?: StaticCacheOptions };
}

/** The plan: commands in order, whether to reload (and why), and the state after it. */
export interface RouterPlan {
  runtime: RouterCommand[];
  reload: boolean;
  reasons: string[];
  next: RouterState;
  /** When to plan again to finish drains (epoch ms); absent: nothing pending. */
  nextCheckAt?: number;
  /** With `reload`: the full configuration to load. */
  config?: HaproxyConfig;
}

/** Plans the way from `current` (undefined: nothing running yet) to `desired`. */
export function planRouterChanges(
  current: RouterState | undefined,
  wanted: DesiredRouterState,
  options: PlanOptions,
): RouterPlan {
  // Static sites' backends are rendered whole (the static server), never slots.
  const statics = new Set((wanted.staticSites ?? []).map((s) => backendName(s.app, s.component)));
  const desired = {
    ...wanted,
    table: { ...wanted.table, backends: wanted.table.backends.filter((b) => !statics.has(b.name)) },
  };
  const logical = logicalSlots(current, desired, options);
  const reasons =
    current === undefined ? ["first start"] : structuralReasons(current, desired, logical, options);
  if (reasons.length === 0 && current !== undefined) return runtimePlan(current, desired, logical, options);
  return reloadPlan(current, desired, logical, options, reasons);
}

/** The slots each backend should have: kept endpoints stay in their slots, new ones take free ones. */
function logicalSlots(
  current: RouterState | undefined,
  desired: DesiredRouterState,
  o: PlanOptions,
): Map<string, (SlotState | undefined)[]> {
  const out = new Map<string, (SlotState | undefined)[]>();
  const wanted = new Map(desired.endpoints.map((b) => [backendName(b.app, b.component), b.endpoints]));
  const names = new Set([...Object.keys(current?.placement ?? {}), ...wanted.keys()]);
  for (const name of names) {
    const placed = current?.placement[name];
    const before = placed === undefined ? [] : (current?.slots[placed] ?? []);
    const endpoints = wanted.get(name) ?? [];
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    const slots = before.map((s): SlotState | undefined => {
      if (s === undefined) return undefined;
      const e = byId.get(s.endpoint);
      if (e !== undefined) return slotOf(e);
      const until = s.drainUntil ?? o.now + o.drainMs;
      return until <= o.now ? undefined : { ...s, state: "drain", drainUntil: until };
    });
    const placedIds = new Set(slots.flatMap((s) => (s === undefined ? [] : [s.endpoint])));
    for (const e of endpoints) {
      if (placedIds.has(e.id)) continue;
      const free = slots.indexOf(undefined);
      if (free === -1) slots.push(slotOf(e));
      else slots[free] = slotOf(e);
    }
    while (slots.length > 0 && slots[slots.length - 1] === undefined) slots.pop();
    out.set(name, slots);
  }
  return out;
}

function slotOf(e: Endpoint): SlotState {
  return {
    endpoint: e.id,
    addr: e.address,
    port: e.port,
    weight: e.weight ?? 1,
    state: e.draining === true ? "drain" : "ready",
  };
}

const settings = (b: BackendSpec) =>
  JSON.stringify([b.port, b.healthPath ?? null, b.auth ?? null, b.protocol ?? null]);

/** Plain backends can run on a spare: no health check, no JWT, HTTP/1.1. */
const plain = (b: BackendSpec) =>
  b.healthPath === undefined && b.auth === undefined && b.protocol === undefined;

/** Why the running config cannot serve `desired` (empty: it can, through the runtime API). */
function structuralReasons(
  current: RouterState,
  desired: DesiredRouterState,
  logical: Map<string, (SlotState | undefined)[]>,
  o: PlanOptions,
): string[] {
  const reasons: string[] = [];
  const loaded = new Map(current.specs.map((b) => [b.name, b]));
  const placement = placementFor(current, desired, logical, o);
  for (const b of desired.table.backends) {
    const was = loaded.get(b.name);
    const need = logical.get(b.name)?.length ?? 0;
    const on = placement.get(b.name);
    if (was !== undefined && settings(was) !== settings(b)) reasons.push(`backend ${b.name} changed`);
    else if (on === undefined) reasons.push(`backend ${b.name} is new and no spare backend fits it`);
    else if (need > (current.slotCounts[on] ?? 0)) reasons.push(`backend ${b.name} needs ${need} slots`);
  }
  for (const [name, slots] of logical) {
    const on = placement.get(name);
    if (
      on !== undefined &&
      slots.length > (current.slotCounts[on] ?? 0) &&
      !reasons.some((r) => r.includes(name))
    )
      reasons.push(`backend ${name} needs ${slots.length} slots`);
  }
  const structure = renderStructure(
    { ...desired.table, backends: current.specs },
    desired.staticSites,
    current.slotCounts,
    o,
  );
  if (structure !== current.structure)
    reasons.push("configuration changed (CORS policies, JWT keys, TLS, fairness or other settings)");
  return reasons;
}

/** Where each backend runs without a reload: its own backend, its spare, or a free spare. */
function placementFor(
  current: RouterState,
  desired: DesiredRouterState,
  logical: Map<string, (SlotState | undefined)[]>,
  o: PlanOptions,
): Map<string, string> {
  const loaded = new Set(current.specs.map((b) => b.name));
  const out = new Map<string, string>();
  for (const name of logical.keys()) {
    const placed = current.placement[name];
    if (placed !== undefined) out.set(name, placed);
    else if (loaded.has(name)) out.set(name, name);
  }
  const used = new Set(out.values());
  const spares = Array.from({ length: o.render.spareBackends ?? 4 }, (_, i) => spareBackendName(i));
  for (const b of desired.table.backends) {
    if (out.has(b.name) || !plain(b)) continue;
    const spare = spares.find((s) => !used.has(s));
    if (spare === undefined) continue;
    out.set(b.name, spare);
    used.add(spare);
  }
  return out;
}

function runtimePlan(
  current: RouterState,
  desired: DesiredRouterState,
  logical: Map<string, (SlotState | undefined)[]>,
  o: PlanOptions,
): RouterPlan {
  const placement = placementFor(current, desired, logical, o);
  const first: RouterCommand[] = [];
  const last: RouterCommand[] = [];
  const slots = { ...current.slots };
  for (const [name, want] of logical) {
    const on = placement.get(name) ?? name;
    const have = current.slots[on] ?? [];
    const cmds = slotCommands(on, have, want);
    first.push(...cmds.filter((c) => !(c.kind === "set-state" && c.state !== "ready")));
    last.push(...cmds.filter((c) => c.kind === "set-state" && c.state !== "ready"));
    slots[on] = want;
  }
  const nextPlacement: Record<string, string> = {};
  for (const [name, on] of placement) {
    const active =
      desired.table.backends.some((b) => b.name === name) || (logical.get(name)?.length ?? 0) > 0;
    if (active) nextPlacement[name] = on;
  }
  const maps = renderMaps(desired.table, placement, current.slotCounts, o);
  const mapCmds = Object.entries(maps)
    .filter(([map, text]) => current.maps[map] !== text)
    .map(([map, text]): RouterCommand => ({ kind: "replace-map", map, text }));
  const next: RouterState = { ...current, placement: nextPlacement, slots, maps };
  // New instances first, then the routes that may point at them, then drains.
  return withCheck({ runtime: [...first, ...mapCmds, ...last], reload: false, reasons: [], next });
}

function reloadPlan(
  current: RouterState | undefined,
  desired: DesiredRouterState,
  logical: Map<string, (SlotState | undefined)[]>,
  o: PlanOptions,
  reasons: string[],
): RouterPlan {
  const base = o.render.slots ?? 10;
  const slotCounts: Record<string, number> = {};
  const placement: Record<string, string> = {};
  const slots: Record<string, (SlotState | undefined)[]> = {};
  const runtime: RouterCommand[] = [];
  for (const b of desired.table.backends) {
    const want = logical.get(b.name) ?? [];
    const had = current?.slotCounts[b.name] ?? base;
    slotCounts[b.name] = Math.max(had, Math.ceil(Math.max(want.length, 1) / base) * base);
    placement[b.name] = b.name;
    slots[b.name] = want;
    // A backend that stays: bring its running slots to the target first, so the state file carries them.
    const keeps = current?.placement[b.name] === b.name && current.specs.some((s) => s.name === b.name);
    if (keeps && current !== undefined) {
      const have = current.slots[b.name] ?? [];
      const count = current.slotCounts[b.name] ?? 0;
      runtime.push(...slotCommands(b.name, have, want).filter((c) => "slot" in c && c.slot <= count));
    }
  }
  for (let i = 0; i < (o.render.spareBackends ?? 4); i++) slotCounts[spareBackendName(i)] = base;
  const identity = new Map(Object.entries(placement));
  const servers = Object.fromEntries(Object.entries(slots).map(([name, s]) => [name, s.map(serverOf)]));
  const rendered = renderHaproxyConfig(desired.table, { ...o.render, backendSlots: slotCounts, servers });
  const config = { ...rendered, config: withStatic(rendered.config, desired.staticSites, o) };
  const next: RouterState = {
    structure: renderStructure(desired.table, desired.staticSites, slotCounts, o),
    specs: desired.table.backends,
    slotCounts,
    placement,
    slots,
    maps: renderMaps(desired.table, identity, slotCounts, o),
  };
  return withCheck({ runtime, reload: true, reasons, next, config });
}

function serverOf(s: SlotState | undefined): SlotServer | undefined {
  if (s === undefined) return undefined;
  return { addr: s.addr, port: s.port, weight: s.weight, ...(s.state === "ready" ? {} : { disabled: true }) };
}

/** Commands taking slots `have` to `want` on HAProxy backend `on`. */
export function slotCommands(
  on: string,
  have: readonly (SlotState | undefined)[],
  want: readonly (SlotState | undefined)[],
): RouterCommand[] {
  const out: RouterCommand[] = [];
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const [h, w, slot] = [have[i], want[i], i + 1];
    if (w === undefined) {
      if (h !== undefined) out.push({ kind: "set-state", backend: on, slot, state: "maint" });
      continue;
    }
    const moved = h === undefined || h.endpoint !== w.endpoint || h.addr !== w.addr || h.port !== w.port;
    if (moved) out.push({ kind: "set-addr", backend: on, slot, addr: w.addr, port: w.port });
    if (moved || h.weight !== w.weight) out.push({ kind: "set-weight", backend: on, slot, weight: w.weight });
    if (moved || h.state !== w.state) out.push({ kind: "set-state", backend: on, slot, state: w.state });
  }
  return out;
}

/** The config without slot contents: equal strings mean no reload is needed. */
function renderStructure(
  table: RouteTable,
  sites: readonly StaticBackendSite[] | undefined,
  slotCounts: Record<string, number>,
  o: PlanOptions,
): string {
  const { servers: _servers, ...render } = o.render;
  return withStatic(renderHaproxyConfig(table, { ...render, backendSlots: slotCounts }).config, sites, o);
}

/** Appends the edge cache and the static sites' backends (ADR 0014) to a rendered config. */
function withStatic(config: string, sites: readonly StaticBackendSite[] | undefined, o: PlanOptions): string {
  if (sites === undefined || sites.length === 0) return config;
  if (o.static === undefined)
    throw new Error("static sites need PlanOptions.static (the static server's address)");
  const { cache, ...backend } = o.static;
  return [config, renderStaticCache(cache), ...sites.map((s) => renderStaticBackend(s, backend))].join("\n");
}

/** The maps with each rule's backend replaced by the HAProxy backend serving it. */
function renderMaps(
  table: RouteTable,
  placement: ReadonlyMap<string, string>,
  slotCounts: Record<string, number>,
  o: PlanOptions,
): Record<string, string> {
  const hosts = table.hosts.map((h) => ({
    ...h,
    rules: h.rules.map((r) =>
      r.action.kind === "backend"
        ? { ...r, action: { ...r.action, backend: placement.get(r.action.backend) ?? r.action.backend } }
        : r,
    ),
  }));
  return renderHaproxyConfig({ ...table, hosts }, { ...o.render, backendSlots: slotCounts }).maps;
}

function withCheck(plan: RouterPlan): RouterPlan {
  const times = Object.values(plan.next.slots)
    .flat()
    .flatMap((s) => (s?.drainUntil === undefined ? [] : [s.drainUntil]));
  return times.length === 0 ? plan : { ...plan, nextCheckAt: Math.min(...times) };
}
