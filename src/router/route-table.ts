/**
 * The route table: a pure function of the active apps' (normalized) specs. It says, for every
 * host, which ordered rules apply and what each does (send to a backend, possibly rewriting the
 * path, or redirect), and which backends exist. The HAProxy renderer turns it into config + maps.
 */
import type { AppSpec } from "../spec/index.js";

type Ingress = NonNullable<AppSpec["ingress"]>;
type IngressRule = NonNullable<Ingress["rules"]>[number];
type Redirect = NonNullable<IngressRule["redirect"]>;
/** A CORS policy as the spec states it (`ingress.rules[].cors` or a component's `cors`). */
export type CorsPolicy = NonNullable<IngressRule["cors"]>;

/** How a rule matches the path: by prefix (plain string prefix, as Envoy does) or exactly. */
export type PathMatch = { kind: "prefix"; prefix: string } | { kind: "exact"; exact: string };

/** What a rule does with a request it matches. */
export type RouteAction =
  | {
      kind: "backend";
      /** The backend name, `<app>__<component>`. */
      backend: string;
      /** The matched prefix removed from the path (absent: the path is passed as it is). */
      stripPrefix?: string;
      /** Replaces the matched prefix (`/api/list` with rewrite `/v1/` -> `/v1/list`). */
      rewrite?: string;
    }
  | {
      kind: "redirect";
      /** 300..308; default 302. */
      code: number;
      /** Default https. */
      scheme: "http" | "https";
      /** Absent: the request's host. */
      authority?: string;
      port?: number;
      /** Replaces the whole URI; absent: the request's URI. */
      uri?: string;
    };

/** One rule of one host. */
export interface RouteRule {
  match: { host: string; path: PathMatch; authoritySpecific: boolean };
  action: RouteAction;
  cors?: CorsPolicy;
  /** The app that declared the rule. */
  app: string;
}

/**
 * A service's `slipway_auth`: requests need a bearer JWT from `issuer` with one of `audiences`
 * and all of `scopes` (space-separated `scope` claim).
 */
export interface AuthPolicy {
  issuer: string;
  /** Absent: found through `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  audiences: string[];
  scopes: string[];
}

/** A backend: the instances of one routable component. */
export interface BackendSpec {
  name: string;
  app: string;
  component: string;
  /** The port the component's instances listen on. */
  port: number;
  /** The readiness check's HTTP path; absent means no HTTP check. */
  healthPath?: string;
  /** The JWT the router requires before a request reaches the backend; absent: none. */
  auth?: AuthPolicy;
  /** `HTTP2`: the instances speak cleartext HTTP/2 (h2c); absent: HTTP/1.1. */
  protocol?: "HTTP2";
  /** Some route to the backend strips a prefix or rewrites the path; absent: none does. */
  rewritesPath?: true;
}

/** The whole table. Hosts sorted by name; rules in evaluation order. */
export interface RouteTable {
  hosts: { host: string; rules: RouteRule[] }[];
  backends: BackendSpec[];
  /** Things left out, with why (a host claimed twice, an unknown component, ...). */
  issues: string[];
}

/** Options of {@link routeTable}. */
export interface RouteTableOptions {
  /** Apps get `<app>.<baseDomain>`. Default `localhost`. */
  baseDomain?: string;
}

/** One active app: its name and its normalized spec. */
export interface RoutedApp {
  name: string;
  spec: AppSpec;
}

/** A backend name: `<app>__<component>`; both are DNS labels, so the name is stable and safe. */
export function backendName(app: string, component: string): string {
  return `${app}__${component}`;
}

/**
 * Builds the route table. Each app answers on `<app>.<baseDomain>` and its `domains[]`; its
 * `ingress.rules` (or, when there are none, its components' deprecated `routes`) apply on each of
 * those hosts, or only on `match.authority.exact` when it is one of them. Rules are ordered exact
 * before prefix, longer path first, authority-specific first, then spec order. A host claimed by
 * two apps goes to the first app by name; the loser is reported in `issues`. Paths containing
 * whitespace or `|` cannot be keys of HAProxy maps and are reported and skipped.
 */
export function routeTable(apps: readonly RoutedApp[], options: RouteTableOptions = {}): RouteTable {
  const baseDomain = (options.baseDomain ?? "localhost").toLowerCase();
  const issues: string[] = [];
  const hosts = new Map<string, RouteRule[]>();
  const backends = new Map<string, BackendSpec>();
  for (const app of [...apps].sort((a, b) => a.name.localeCompare(b.name))) {
    const appHosts = hostsOf(app, baseDomain).filter((h) => {
      if (!hosts.has(h)) return true;
      issues.push(`${app.name}: host ${h} is already routed to ${hosts.get(h)?.[0]?.app ?? "another app"}`);
      return false;
    });
    for (const h of appHosts) hosts.set(h, []);
    const rules = rulesOf(app, appHosts, issues);
    for (const rule of rules) hosts.get(rule.match.host)?.push(rule);
    for (const backend of backendsOf(app, rules)) backends.set(backend.name, backend);
  }
  return {
    hosts: [...hosts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([host, rules]) => ({ host, rules: orderRules(rules) })),
    backends: [...backends.values()].sort((a, b) => a.name.localeCompare(b.name)),
    issues,
  };
}

function hostsOf(app: RoutedApp, baseDomain: string): string[] {
  const all = [`${app.name}.${baseDomain}`, ...(app.spec.domains ?? []).map((d) => d.domain)];
  return [...new Set(all.map((h) => h.toLowerCase().replace(/\.$/, "")))];
}

/** Sorts a copy: exact first, then longer path, then authority-specific, then spec order. */
export function orderRules(rules: readonly RouteRule[]): RouteRule[] {
  const pathOf = (r: RouteRule) => (r.match.path.kind === "exact" ? r.match.path.exact : r.match.path.prefix);
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => {
      const kind = Number(b.rule.match.path.kind === "exact") - Number(a.rule.match.path.kind === "exact");
      const length = pathOf(b.rule).length - pathOf(a.rule).length;
      const authority = Number(b.rule.match.authoritySpecific) - Number(a.rule.match.authoritySpecific);
      return kind || length || authority || a.index - b.index;
    })
    .map(({ rule }) => rule);
}

function rulesOf(app: RoutedApp, appHosts: readonly string[], issues: string[]): RouteRule[] {
  const specRules = app.spec.ingress?.rules ?? [];
  if (specRules.length === 0) return routesOf(app, appHosts, issues);
  const out: RouteRule[] = [];
  specRules.forEach((rule, i) => {
    const where = `${app.name}: ingress.rules[${i}]`;
    const path = pathMatchOf(rule);
    const texts = [rule.component?.rewrite, rule.redirect?.uri, rule.redirect?.authority];
    if (!routable(path, texts, where, issues)) return;
    const action = actionOf(app, rule, where, issues);
    if (action === undefined) return;
    const authority = rule.match?.authority?.exact;
    const ruleHosts = authority ? [authority.toLowerCase()] : appHosts;
    if (authority && !appHosts.includes(authority.toLowerCase())) {
      issues.push(`${where}.match.authority.exact: ${authority} is not one of the app's hosts; rule skipped`);
      return;
    }
    for (const host of ruleHosts) {
      const match = { host, path, authoritySpecific: authority !== undefined && authority !== "" };
      out.push({ match, action, app: app.name, ...(rule.cors ? { cors: rule.cors } : {}) });
    }
  });
  return out;
}

function pathMatchOf(rule: IngressRule): PathMatch {
  const exact = rule.match?.path?.exact;
  if (exact !== undefined && exact !== "") return { kind: "exact", exact };
  const prefix = rule.match?.path?.prefix;
  return { kind: "prefix", prefix: prefix === undefined || prefix === "" ? "/" : prefix };
}

/** Map keys and values cannot hold whitespace, and `|` separates the fields of a map value. */
function routable(
  path: PathMatch,
  texts: readonly (string | undefined)[],
  where: string,
  issues: string[],
): boolean {
  const p = path.kind === "exact" ? path.exact : path.prefix;
  const bad = [p, ...texts].find((t) => t !== undefined && /[\s|"\\]/.test(t));
  if (bad === undefined) return true;
  issues.push(
    `${where}: ${JSON.stringify(bad)} contains whitespace, "|", a quote or a backslash; rule skipped`,
  );
  return false;
}

function actionOf(
  app: RoutedApp,
  rule: IngressRule,
  where: string,
  issues: string[],
): RouteAction | undefined {
  if (rule.redirect) return redirectOf(rule.redirect);
  const component = rule.component;
  if (component === undefined) {
    issues.push(`${where}: neither component nor redirect; rule skipped`);
    return undefined;
  }
  if (portOf(app.spec, component.name) === undefined) {
    issues.push(`${where}.component.name: ${component.name} is not a routable component; rule skipped`);
    return undefined;
  }
  const backend = backendName(app.name, component.name);
  const path = pathMatchOf(rule);
  if (path.kind === "exact") {
    return component.rewrite === undefined
      ? { kind: "backend", backend }
      : withRewrite(backend, path.exact, component.rewrite);
  }
  if (component.rewrite !== undefined) return withRewrite(backend, path.prefix, component.rewrite);
  const preserve = component.preserve_path_prefix === true || component.preserve_path_prefix === "true";
  return preserve || path.prefix === "/"
    ? { kind: "backend", backend }
    : { kind: "backend", backend, stripPrefix: path.prefix };
}

function withRewrite(backend: string, prefix: string, rewrite: string): RouteAction {
  return { kind: "backend", backend, stripPrefix: prefix, rewrite };
}

function redirectOf(r: Redirect): RouteAction {
  return {
    kind: "redirect",
    code: r.redirect_code ?? 302,
    scheme: r.scheme ?? "https",
    ...(r.authority ? { authority: r.authority } : {}),
    ...(r.port === undefined ? {} : { port: r.port }),
    ...(r.uri ? { uri: r.uri } : {}),
  };
}

/** Deprecated component `routes`, used only when the app has no ingress rules. */
function routesOf(app: RoutedApp, appHosts: readonly string[], issues: string[]): RouteRule[] {
  const out: RouteRule[] = [];
  const components = [...(app.spec.services ?? []), ...(app.spec.static_sites ?? [])];
  for (const c of components) {
    if (portOf(app.spec, c.name) === undefined) continue;
    for (const [i, route] of (c.routes ?? []).entries()) {
      const prefix = route.path ?? "/";
      const path: PathMatch = { kind: "prefix", prefix };
      if (!routable(path, [], `${app.name}: ${c.name}.routes[${i}]`, issues)) continue;
      const preserve = route.preserve_path_prefix === true || route.preserve_path_prefix === "true";
      const backend = backendName(app.name, c.name);
      const action: RouteAction =
        preserve || prefix === "/"
          ? { kind: "backend", backend }
          : { kind: "backend", backend, stripPrefix: prefix };
      for (const host of appHosts) {
        const rule: RouteRule = { match: { host, path, authoritySpecific: false }, action, app: app.name };
        out.push(c.cors ? { ...rule, cors: c.cors } : rule);
      }
    }
  }
  return out;
}

/** Static sites are served on port 8080 of their instances until the router serves them itself. */
const STATIC_SITE_PORT = 8080;

function portOf(spec: AppSpec, component: string): number | undefined {
  const service = spec.services?.find((s) => s.name === component);
  if (service) return service.http_port;
  return spec.static_sites?.some((s) => s.name === component) ? STATIC_SITE_PORT : undefined;
}

/** The backends of the app's components that some rule sends traffic to. */
function backendsOf(app: RoutedApp, rules: readonly RouteRule[]): BackendSpec[] {
  const used = new Set(rules.flatMap((r) => (r.action.kind === "backend" ? [r.action.backend] : [])));
  const rewritten = new Set(
    rules.flatMap((r) =>
      r.action.kind === "backend" && (r.action.stripPrefix || r.action.rewrite !== undefined)
        ? [r.action.backend]
        : [],
    ),
  );
  const components = [...(app.spec.services ?? []), ...(app.spec.static_sites ?? [])];
  return components.flatMap((c) => {
    const name = backendName(app.name, c.name);
    const port = portOf(app.spec, c.name);
    if (!used.has(name) || port === undefined) return [];
    const healthPath = "health_check" in c ? c.health_check?.http_path : undefined;
    const auth = "slipway_auth" in c ? authPolicy(c.slipway_auth) : undefined;
    const h2 = "protocol" in c && c.protocol === "HTTP2";
    return [
      {
        name,
        app: app.name,
        component: c.name,
        port,
        ...(healthPath ? { healthPath } : {}),
        ...(auth ? { auth } : {}),
        ...(h2 ? { protocol: "HTTP2" as const } : {}),
        ...(rewritten.has(name) ? { rewritesPath: true as const } : {}),
      },
    ];
  });
}

type SlipwayAuth = NonNullable<NonNullable<AppSpec["services"]>[number]["slipway_auth"]>;

function authPolicy(auth: SlipwayAuth | undefined): AuthPolicy | undefined {
  if (auth === undefined) return undefined;
  return {
    issuer: auth.issuer,
    ...(auth.jwks_uri ? { jwksUri: auth.jwks_uri } : {}),
    audiences: [...auth.audiences],
    scopes: [...(auth.scopes ?? [])],
  };
}
