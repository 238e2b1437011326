/**
 * Rendering for the router sync (ADR 0017): the structural fingerprint (the config without slot
 * contents), the maps with backends replaced by where they run, static sites appended.
 */
import { renderHaproxyConfig, type SlotServer } from "./haproxy-config.js";
import type { RouteTable } from "./route-table.js";
import type { PlanOptions, SlotState } from "./router-state.js";
import {
  renderStaticBackend,
  renderStaticCache,
  type StaticBackendSite,
} from "./static/render-static-backend.js";

/** A slot as a `server` line of the config (drain and maintenance start disabled). */
export function serverOf(s: SlotState | undefined): SlotServer | undefined {
  if (s === undefined) return undefined;
  return { addr: s.addr, port: s.port, weight: s.weight, ...(s.state === "ready" ? {} : { disabled: true }) };
}

/** The config without slot contents: equal strings mean no reload is needed. */
export function renderStructure(
  table: RouteTable,
  sites: readonly StaticBackendSite[] | undefined,
  slotCounts: Record<string, number>,
  o: PlanOptions,
): string {
  const { servers: _servers, ...render } = o.render;
  return withStatic(renderHaproxyConfig(table, { ...render, backendSlots: slotCounts }).config, sites, o);
}

/** Appends the edge cache and the static sites' backends (ADR 0014) to a rendered config. */
export function withStatic(
  config: string,
  sites: readonly StaticBackendSite[] | undefined,
  o: PlanOptions,
): string {
  if (sites === undefined || sites.length === 0) return config;
  if (o.static === undefined)
    throw new Error("static sites need PlanOptions.static (the static server's address)");
  const { cache, ...backend } = o.static;
  const fairness = o.render.fairness === undefined ? {} : { fairness: o.render.fairness };
  return [
    config,
    renderStaticCache(cache),
    ...sites.map((s) => renderStaticBackend(s, { ...backend, ...fairness })),
  ].join("\n");
}

/** The maps with each rule's backend replaced by the HAProxy backend serving it. */
export function renderMaps(
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
