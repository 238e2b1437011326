/**
 * Planning the difference between what HAProxy runs and what is desired (ADR 0017). Pure: the
 * same state, desired state, options and clock give the same plan. Endpoint changes and new
 * hosts or paths become runtime API commands; only structural changes (a backend's settings, more
 * slots than it has, an app with no free spare backend, CORS policies, JWT keys, TLS, fairness,
 * static sites) need a reload.
 */
import { renderHaproxyConfig, spareBackendName } from "./haproxy-config.js";
import { type BackendSpec, backendName } from "./route-table.js";
import { renderMaps, renderStructure, serverOf, withStatic } from "./router-render.js";
import { logicalSlots, slotCommands } from "./router-slots.js";
import type {
  DesiredRouterState,
  PlanOptions,
  RouterCommand,
  RouterPlan,
  RouterState,
  SlotState,
} from "./router-state.js";

export { slotCommands } from "./router-slots.js";
export type {
  BackendEndpoints,
  DesiredRouterState,
  Endpoint,
  PlanOptions,
  RouterCommand,
  RouterPlan,
  RouterState,
  SlotState,
} from "./router-state.js";

/** Plans the way from `current` (undefined: nothing running yet) to `desired`. */
export function planRouterChanges(
  current: RouterState | undefined,
  wanted: DesiredRouterState,
  given: PlanOptions,
): RouterPlan {
  const options =
    wanted.jwtKeys === undefined ? given : { ...given, render: { ...given.render, jwtKeys: wanted.jwtKeys } };
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

const settings = (b: BackendSpec) =>
  JSON.stringify([b.port, b.healthPath ?? null, b.auth ?? null, b.protocol ?? null, b.rewritesPath ?? null]);

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

function withCheck(plan: RouterPlan): RouterPlan {
  const times = Object.values(plan.next.slots)
    .flat()
    .flatMap((s) => (s?.drainUntil === undefined ? [] : [s.drainUntil]));
  return times.length === 0 ? plan : { ...plan, nextCheckAt: Math.min(...times) };
}
