/**
 * Slot planning (ADR 0017): which slot each endpoint occupies, drains with deadlines, and the
 * runtime API commands that take HAProxy's slots from one layout to another.
 */
import { backendName } from "./route-table.js";
import type {
  DesiredRouterState,
  Endpoint,
  PlanOptions,
  RouterCommand,
  RouterState,
  SlotState,
} from "./router-state.js";

/** The slots each backend should have: kept endpoints stay in their slots, new ones take free ones. */
export function logicalSlots(
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
