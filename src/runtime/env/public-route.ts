/**
 * Where a component is reachable from outside, for `${X.PUBLIC_ROUTE_PATH}` and `${X.PUBLIC_URL}`:
 * the first ingress rule that sends requests to it, or (only when the app has no ingress rules,
 * as the router does) its first deprecated `routes` entry.
 */
import type { AppSpec, IngressRuleSpec } from "../../spec/index.js";

/** A component's public path, and the host a rule pins it to (absent: the app's own domain). */
export interface PublicRoute {
  path: string;
  authority?: string;
}

/**
 * The public route of component `name` in a normalized spec, or undefined when nothing routes to
 * it. Rules without an authority are preferred (they are served on the app's domain); an empty
 * prefix counts as `/`, as in the router.
 */
export function publicRoute(spec: AppSpec, name: string): PublicRoute | undefined {
  const rules = spec.ingress?.rules ?? [];
  if (rules.length > 0) {
    const mine = rules.filter((r) => r.component?.name === name);
    const rule = mine.find((r) => !hasAuthority(r)) ?? mine[0];
    if (rule === undefined) return undefined;
    const authority = rule.match?.authority?.exact;
    const path = pathOf(rule);
    return hasAuthority(rule) && authority !== undefined ? { path, authority } : { path };
  }
  const lists = [...(spec.services ?? []), ...(spec.static_sites ?? []), ...(spec.functions ?? [])];
  const route = lists.find((c) => c.name === name)?.routes?.[0];
  if (route === undefined) return undefined;
  return { path: route.path === undefined || route.path === "" ? "/" : route.path };
}

function hasAuthority(rule: IngressRuleSpec): boolean {
  const exact = rule.match?.authority?.exact;
  return exact !== undefined && exact !== "";
}

function pathOf(rule: IngressRuleSpec): string {
  const path = rule.match?.path;
  const p = path?.exact ?? path?.prefix;
  return p === undefined || p === "" ? "/" : p;
}
