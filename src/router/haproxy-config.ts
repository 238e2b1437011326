/**
 * Renders a route table as an HAProxy 2.6 configuration plus map files. Routing is data: the
 * frontend looks `<host><path>` up in two maps (exact, then longest prefix) and every rule's
 * behaviour (backend, prefix strip, rewrite, redirect, CORS policy id) is encoded in the map
 * value, so hosts and paths come and go with `add map` / `del map` on the runtime API, and
 * instances with `set server` on pre-declared `server-template` slots — no reload.
 */

import { haproxyOriginRegex, MAX_REGEX_ORIGIN } from "./cors-regex.js";
import { edgeDefaultsLines, edgeFrontendLines, edgeGlobalLines } from "./edge-limits.js";
import {
  type FairnessOptions,
  fairnessBackendLines,
  fairnessDefaults,
  fairnessDefaultsLines,
  fairnessFrontendLines,
  fairnessServerSuffix,
} from "./fairness-config.js";
import { type JwtKey, jwtLines } from "./jwt/jwt-config.js";
import type { BackendSpec, CorsPolicy, RouteAction, RouteRule, RouteTable } from "./route-table.js";
import {
  acmeBackendLines,
  acmeFrontendLines,
  exceptAcmeChallenges,
  type HaproxyAcmeOptions,
} from "./tls/acme-config.js";
import {
  type HaproxyTlsOptions,
  httpsRedirectLines,
  tlsBindLines,
  tlsGlobalLines,
} from "./tls/tls-config.js";

/** Options of {@link renderHaproxyConfig}. */
export interface HaproxyConfigOptions {
  /** The port the frontend listens on. */
  httpPort: number;
  /** The admin-level runtime API socket (a UNIX socket path). */
  statsSocket: string;
  /** The directory the map files are written to (absolute; the config names them there). */
  mapDir: string;
  /** Address the frontend binds. Default `127.0.0.1`. */
  bindAddress?: string;
  /** Server slots per backend. Default 10. */
  slots?: number;
  /** Empty backends (`spare__0`, ...) that apps added at run time are placed on. Default 4. */
  spareBackends?: number;
  /**
   * The public keys of the issuers named by `slipway_auth` (files HAProxy loads at start). A
   * protected backend whose issuer has no key here refuses every token (401).
   */
  jwtKeys?: readonly JwtKey[];
  /** HTTPS: a second bind serving the certificates of a crt-list. Absent: HTTP only. */
  tls?: HaproxyTlsOptions;
  /** Slots of particular backends (by name), overriding `slots`. */
  backendSlots?: Readonly<Record<string, number>>;
  /**
   * Explicit slot contents per backend (index 0 is `s1`): rendered as `server` lines instead of a
   * `server-template`, so instances' addresses survive a reload (HAProxy 2.6's server-state file
   * restores states, weights and ports, but not the address of a non-DNS server; ADR 0017).
   */
  servers?: Readonly<Record<string, readonly (SlotServer | undefined)[]>>;
  /**
   * Run under a supervising master (ADR 0017): listeners handed to the next worker on reload
   * (`expose-fd listeners`), slot states saved to and loaded from `serverStateFile`, and idle
   * keep-alive connections of a stopping worker closed after their next response, not under a
   * client that is about to reuse them.
   */
  reloadable?: { serverStateFile: string };
  /** Per-app connection and request-rate limits (ADR 0017). Absent: none. */
  fairness?: FairnessOptions;
  /**
   * A UNIX socket (mode 600) serving HAProxy's Prometheus exporter at `/metrics` (ADR 0022).
   * Absent: no metrics frontend.
   */
  metricsSocket?: string;
  /** ACME HTTP-01: `/.well-known/acme-challenge/` on any host goes to this responder. Absent: no ACME. */
  acme?: HaproxyAcmeOptions;
}

/** One occupied slot in {@link HaproxyConfigOptions.servers}. */
export interface SlotServer {
  addr: string;
  port: number;
  /** 0-256. Default 1. */
  weight?: number;
  /** Not in service at start (maintenance); the server-state file may still restore it. */
  disabled?: boolean;
}

export type { FairnessOptions, HaproxyAcmeOptions, HaproxyTlsOptions };

/** The rendered configuration and the map files (file name -> contents) it reads from `mapDir`. */
export interface HaproxyConfig {
  config: string;
  maps: Record<string, string>;
}

/** The map file looked up with the exact `<host><path>`. */
export const EXACT_MAP = "exact.map";
/** The map file looked up with `map_beg`: entries in evaluation order (longest prefix first). */
export const PREFIX_MAP = "prefix.map";

/** The name of the i-th spare backend. */
export function spareBackendName(i: number): string {
  return `spare__${i}`;
}

/** The name of a server slot (1-based), as `server-template s 1-N` names them. */
export function slotName(slot: number): string {
  return `s${slot}`;
}

/**
 * Renders `table`. Pure: the same table and options give the same text. CORS policies get ids
 * `c0`, `c1`, ... in order of first use; a preflight (OPTIONS with Access-Control-Request-Method)
 * whose Origin matches an exact, prefix or regex origin is answered 204 by HAProxy (regexes
 * anchored and limited to a PCRE2-safe RE2 subset, ADR 0022). Unknown hosts and paths get a plain 404 from HAProxy.
 */
export function renderHaproxyConfig(table: RouteTable, options: HaproxyConfigOptions): HaproxyConfig {
  const policies = corsPolicies(table);
  const exact: string[] = [];
  const prefix: string[] = [];
  for (const rule of table.hosts.flatMap((h) => h.rules)) {
    const line = `${mapKey(rule)} ${mapValue(rule.action, policies.idOf(rule.cors))}`;
    (rule.match.path.kind === "exact" ? exact : prefix).push(line);
  }
  const config = [
    ...globalSection(options),
    ...frontendSection(options, policies.lines, jwtLines(table, options.jwtKeys ?? []), exact.length > 0),
    ...metricsFrontend(options.metricsSocket),
    ...table.backends.flatMap((b) => backendSection(b, options)),
    ...acmeBackendLines(options.acme),
    ...redirectBackend(),
    ...Array.from({ length: options.spareBackends ?? 4 }, (_, i) =>
      // Spares take apps added at run time, whatever their routes strip or rewrite.
      backendSection({ name: spareBackendName(i), port: 8080, rewritesPath: true }, options),
    ).flat(),
  ];
  return {
    config: `${config.join("\n")}\n`,
    maps: { [EXACT_MAP]: fileOf(exact), [PREFIX_MAP]: fileOf(prefix) },
  };
}

function fileOf(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join("");
}

/** The key of a rule in its map: the host followed by the path or prefix. */
export function mapKey(rule: RouteRule): string {
  const path = rule.match.path.kind === "exact" ? rule.match.path.exact : rule.match.path.prefix;
  return `${rule.match.host}${path}`;
}

/**
 * The value of a rule in its map, `|`-separated: `B|<cors>|<backend>|<strip length>|<rewrite>` or
 * `R|<cors>|<code>|<scheme>|<authority>|<:port>|<uri>`; empty fields mean "none" / "the request's".
 */
export function mapValue(action: RouteAction, corsId = ""): string {
  switch (action.kind) {
    case "backend":
      return [
        "B",
        corsId,
        action.backend,
        String(action.stripPrefix?.length ?? 0),
        action.rewrite ?? "",
      ].join("|");
    case "redirect": {
      const port = action.port === undefined ? "" : `:${action.port}`;
      return [
        "R",
        corsId,
        String(action.code),
        action.scheme,
        action.authority ?? "",
        port,
        action.uri ?? "",
      ].join("|");
    }
    default: {
      const never: never = action;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}

function globalSection(o: HaproxyConfigOptions): string[] {
  return [
    "# Rendered by Slipway (src/router/haproxy-config.ts); routing lives in the map files.",
    "global",
    `  stats socket ${o.statsSocket} mode 600 level admin${o.reloadable ? " expose-fd listeners" : ""}`,
    `  maxconn ${o.fairness ? fairnessDefaults(o.fairness).maxConn : 4096}`,
    // Never share a port silently with another HAProxy (SO_REUSEPORT would split the traffic
    // between them): a taken port is an error. Reloads hand the listeners over instead.
    "  noreuseport",
    ...edgeGlobalLines(),
    ...(o.reloadable ? [`  server-state-file ${o.reloadable.serverStateFile}`] : []),
    ...tlsGlobalLines(o.tls),
    "",
    "defaults",
    "  mode http",
    "  option forwardfor",
    ...edgeDefaultsLines(),
    ...(o.reloadable ? ["  load-server-state-from-file global", "  option idle-close-on-response"] : []),
    ...fairnessDefaultsLines(o.fairness),
    // A request whose connection to an instance fails (the instance just stopped) is retried, on
    // another instance when there is one. Only before the request was sent: a request an instance
    // took and never answered is not sent again (a POST must not run twice); one that meets a
    // keep-alive connection the instance is closing succeeds without it (ADR 0031).
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-request 10s",
    "",
  ];
}

/**
 * HAProxy's built-in Prometheus exporter (USE_PROMEX, in Debian's 2.6) on a UNIX socket only the
 * server's user can open: per-backend counters are read by Slipway's /metrics (ADR 0022), never
 * by the internet. A separate frontend, so none of the app frontend's rules apply to it.
 */
function metricsFrontend(socket: string | undefined): string[] {
  if (socket === undefined) return [];
  return [
    "frontend slipway_metrics",
    `  bind unix@${socket} mode 600`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request return status 404",
    "",
  ];
}

/** Codes `http-request redirect` supports; 300 and 304 are sent with `return` and a Location header. */
const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;
const RETURN_CODES = [300, 304] as const;
const STRIP_BITS = [256, 128, 64, 32, 16, 8, 4, 2, 1] as const;
const IS_B = "{ var(txn.route) -m beg B| }";

/**
 * The route lookup. The fast path looks the request's own `<Host><path>` (`base`) up, which is
 * the map key as it is whenever the Host header is lower case and carries no port (what browsers
 * send on ports 80 and 443); HAProxy 2.6 answers 400 itself to a second Host header or an
 * absolute URI naming another authority, so `base` is the Host every later rule sees. Only when
 * that finds nothing is the Host checked and normalized (port dropped, lower case) and looked up
 * again. Exact entries come first; their lookups are rendered only while some rule is exact
 * (a table gaining its first one is a structural change, i.e. a reload), so the common table
 * costs one map lookup per request. Every rule here is evaluated for every request (bench/router).
 */
function routeLookupLines(mapDir: string, hasExact: boolean): string[] {
  const missing = "!{ var(txn.route) -m found }";
  const exact = (key: string, when: string) =>
    hasExact ? [`  http-request set-var(txn.route) ${key},map_str(${mapDir}/${EXACT_MAP})${when}`] : [];
  const prefix = (key: string, when: string) =>
    `  http-request set-var(txn.route) ${key},map_beg(${mapDir}/${PREFIX_MAP})${when}`;
  return [
    ...exact("base", ""),
    prefix("base", hasExact ? ` if ${missing}` : ""),
    ...edgeFrontendLines(missing),
    `  http-request set-var(txn.path) path if ${missing}`,
    `  http-request set-var(txn.key) req.hdr(host),field(1,:),lower,concat(,txn.path) if ${missing}`,
    ...exact("var(txn.key)", ` if ${missing}`),
    prefix("var(txn.key)", ` if ${missing}`),
  ];
}

function frontendSection(
  o: HaproxyConfigOptions,
  corsLines: readonly string[],
  authLines: readonly string[],
  hasExact: boolean,
): string[] {
  return [
    "frontend slipway",
    `  bind ${o.bindAddress ?? "127.0.0.1"}:${o.httpPort}`,
    ...fairnessFrontendLines(o.fairness),
    ...tlsBindLines(o.tls, o.bindAddress ?? "127.0.0.1"),
    ...routeLookupLines(o.mapDir, hasExact),
    ...acmeFrontendLines(o.acme),
    '  http-request return status 404 content-type "text/plain; charset=utf-8" string "No app is routed here.\\n" unless { var(txn.route) -m beg B| R| }',
    ...exceptAcmeChallenges(httpsRedirectLines(o.tls), o.acme),
    // CORS state only when some route has a CORS policy (adding one changes the config anyway).
    ...(corsLines.length === 0
      ? []
      : [
          "  http-request set-var(txn.cors) var(txn.route),field(2,|)",
          "  http-request set-var(txn.origin) req.hdr(origin)",
          "  acl preflight method OPTIONS",
          "  acl preflight_method req.hdr(access-control-request-method) -m found",
          ...corsLines,
        ]),
    ...authLines,
    `  use_backend %[var(txn.route),field(3,|)] if ${IS_B}`,
    `  use_backend ${REDIRECT_BACKEND} if { var(txn.route) -m beg R| }`,
    "",
  ];
}

/** The backend redirect rules are answered in (no servers: every request ends in its rules). */
export const REDIRECT_BACKEND = "_slipway_redirect";

/**
 * Redirects live in a backend of their own rather than in the frontend, so that the requests an
 * app serves (nearly all of them) skip their 14 rules: every frontend rule is evaluated for every
 * request, and the rules are most of what the router adds per request (bench/router).
 */
function redirectBackend(): string[] {
  return [
    `backend ${REDIRECT_BACKEND}`,
    "  http-request set-var(txn.r_auth) var(txn.route),field(5,|)",
    "  http-request set-var(txn.r_auth) req.hdr(host),field(1,:),lower if { var(txn.r_auth),length -m int eq 0 }",
    "  http-request set-var(txn.r_uri) var(txn.route),field(7,|)",
    "  http-request set-var(txn.r_uri) url if { var(txn.r_uri),length -m int eq 0 }",
    "  http-request set-var(txn.r_loc) var(txn.route),field(4,|),concat(://,txn.r_auth)",
    "  http-request set-var(txn.r_port) var(txn.route),field(6,|)",
    "  http-request set-var(txn.r_loc) var(txn.r_loc),concat(,txn.r_port),concat(,txn.r_uri)",
    ...REDIRECT_CODES.map(
      (code) =>
        `  http-request redirect location %[var(txn.r_loc)] code ${code} if { var(txn.route),field(3,|) -m str ${code} }`,
    ),
    ...RETURN_CODES.map(
      (code) =>
        `  http-request return status ${code} hdr Location "%[var(txn.r_loc)]" if { var(txn.route),field(3,|) -m str ${code} }`,
    ),
    "",
  ];
}

/**
 * Strips N bytes as a sum of powers of two (HAProxy 2.6's `bytes` takes no variable), then
 * rewrites. These 14 rules live only in the backends some route strips or rewrites for (and in
 * spares and static sites' backends), not in the frontend: every rule there is evaluated for
 * every request, and the requests of the routes that neither strip nor rewrite (most of them)
 * then pay for none of them (bench/router). Backend rules run after the frontend's, so JWT and
 * CORS rules still see the request's own path.
 */
export function pathLines(): string[] {
  const strips = "{ var(txn.strip) -m int gt 0 }";
  return [
    "  http-request set-var(txn.strip) var(txn.route),field(4,|)",
    "  http-request set-var(txn.rw) var(txn.route),field(5,|)",
    `  http-request set-var(txn.p) path if ${strips}`,
    ...STRIP_BITS.map(
      (bit) =>
        `  http-request set-var(txn.p) var(txn.p),bytes(${bit}) if { var(txn.strip),and(${bit}) -m int gt 0 }`,
    ),
    "  acl has_rewrite var(txn.rw),length -m int gt 0",
    "  http-request set-var(txn.p) var(txn.p),bytes(1) if has_rewrite { var(txn.rw) -m end / } { var(txn.p) -m beg / }",
    "  http-request set-var(txn.p) var(txn.rw),concat(,txn.p) if has_rewrite",
    `  http-request set-var(txn.p) str(/),concat(,txn.p) if ${strips} !has_rewrite !{ var(txn.p) -m beg / }`,
    `  http-request set-path %[var(txn.p)] if ${strips}`,
  ];
}

type BackendShape = Pick<BackendSpec, "name" | "port" | "healthPath" | "protocol" | "rewritesPath">;

function backendSection(b: BackendShape, o: HaproxyConfigOptions): string[] {
  const slots = o.backendSlots?.[b.name] ?? o.slots ?? 10;
  const check = b.healthPath === undefined ? "" : " check";
  const proto = b.protocol === "HTTP2" ? " proto h2" : "";
  const suffix = `${check}${proto}${fairnessServerSuffix(o.fairness)}`;
  const explicit = o.servers?.[b.name];
  const servers =
    explicit === undefined
      ? [`  server-template s 1-${slots} 127.0.0.1:${b.port} disabled${suffix}`]
      : Array.from({ length: slots }, (_, i) => {
          const s = explicit[i];
          if (s === undefined) return `  server ${slotName(i + 1)} 127.0.0.1:${b.port} disabled${suffix}`;
          const weight = s.weight === undefined ? "" : ` weight ${s.weight}`;
          const off = s.disabled === true ? " disabled" : "";
          return `  server ${slotName(i + 1)} ${hostPort(s.addr, s.port)}${weight}${off}${suffix}`;
        });
  return [
    `backend ${b.name}`,
    "  balance roundrobin",
    ...fairnessBackendLines(o.fairness, slots),
    ...(b.rewritesPath === true ? pathLines() : []),
    ...(b.healthPath === undefined ? [] : [`  option httpchk GET ${b.healthPath}`]),
    ...servers,
    "",
  ];
}

/** `addr:port`, with an IPv6 address in brackets. */
function hostPort(addr: string, port: number): string {
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}

interface Policies {
  idOf(cors: CorsPolicy | undefined): string;
  lines: string[];
}

function corsPolicies(table: RouteTable): Policies {
  const ids = new Map<string, string>();
  const lines: string[] = [];
  for (const rule of table.hosts.flatMap((h) => h.rules)) {
    if (rule.cors === undefined) continue;
    const key = JSON.stringify(rule.cors);
    if (ids.has(key)) continue;
    const id = `c${ids.size}`;
    ids.set(key, id);
    lines.push(...corsLines(id, rule.cors));
  }
  // Regexes are only tried on an Origin of plausible length: PCRE2 backtracks (ADR 0022).
  if (lines.some((l) => l.includes("var(txn.origin_re)")))
    lines.unshift(
      `  http-request set-var(txn.origin_re) var(txn.origin) if { var(txn.origin),length -m int le ${MAX_REGEX_ORIGIN} }`,
    );
  return { idOf: (cors) => (cors === undefined ? "" : (ids.get(JSON.stringify(cors)) ?? "")), lines };
}

function corsLines(id: string, cors: CorsPolicy): string[] {
  const origins = (cors.allow_origins ?? []).flatMap((o) => {
    if ([o.exact, o.prefix].some((t) => t !== undefined && /[\s"\\#]/.test(t))) return [];
    if (o.exact !== undefined) return [`  acl cors_${id} var(txn.origin) -m str ${o.exact}`];
    if (o.prefix !== undefined) return [`  acl cors_${id} var(txn.origin) -m beg ${o.prefix}`];
    const pattern = o.regex === undefined ? undefined : haproxyOriginRegex(o.regex);
    if (pattern !== undefined) return [`  acl cors_${id} var(txn.origin_re) -m reg ${pattern}`];
    return [];
  });
  if (origins.length === 0) return [];
  const when = `if { var(txn.cors) -m str ${id} } cors_${id}`;
  const common = commonCorsHeaders(cors);
  const preflight = [...common, ...preflightHeaders(cors)].map(([k, v]) => `hdr ${k} "${v}"`).join(" ");
  return [
    ...origins,
    `  http-request return status 204 ${preflight} ${when} preflight preflight_method`,
    // Vary is added, not set: the app's own Vary (e.g. Accept-Encoding) must survive.
    ...[...common, ...exposeHeader(cors)].map(
      ([k, v]) => `  http-response ${k === "Vary" ? "add" : "set"}-header ${k} "${v}" ${when}`,
    ),
  ];
}

type Header = [string, string];

function commonCorsHeaders(cors: CorsPolicy): Header[] {
  const out: Header[] = [
    ["Access-Control-Allow-Origin", "%[var(txn.origin)]"],
    ["Vary", "Origin"],
  ];
  if (cors.allow_credentials === true) out.push(["Access-Control-Allow-Credentials", "true"]);
  return out;
}

function preflightHeaders(cors: CorsPolicy): Header[] {
  const out: Header[] = [];
  if (cors.allow_methods?.length)
    out.push(["Access-Control-Allow-Methods", quoted(cors.allow_methods.join(", "))]);
  if (cors.allow_headers?.length)
    out.push(["Access-Control-Allow-Headers", quoted(cors.allow_headers.join(", "))]);
  const maxAge = cors.max_age === undefined ? undefined : durationSeconds(cors.max_age);
  if (maxAge !== undefined) out.push(["Access-Control-Max-Age", String(maxAge)]);
  return out;
}

function exposeHeader(cors: CorsPolicy): Header[] {
  return cors.expose_headers?.length
    ? [["Access-Control-Expose-Headers", quoted(cors.expose_headers.join(", "))]]
    : [];
}

/** Escapes a literal for a double-quoted HAProxy log-format argument. */
function quoted(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, "%%");
}

/** Seconds in a Go-style duration (`5h30m`, `90s`, `1.5h`); undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return Math.floor(parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? "s"] ?? 0), 0));
}
