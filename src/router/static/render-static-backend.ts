/**
 * HAProxy configuration fragments for static sites: one `cache` section (the edge cache) and, per
 * static-site component, a backend that points at the static server and names the site in
 * `X-Slipway-Site`. Pure text, to be placed in the config `renderHaproxyConfig` makes (whose
 * frontend already sends a site's routes to `backendName(app, component)`).
 */
import { type FairnessOptions, fairnessBackendLines } from "../fairness-config.js";
import { pathLines } from "../haproxy-config.js";
import { backendName } from "../route-table.js";
import { SITE_HEADER } from "./static-server.js";

/** The default name of the edge cache section. */
export const STATIC_CACHE = "slipway_static";

/** Options of {@link renderStaticCache}. */
export interface StaticCacheOptions {
  /** Section name. Default {@link STATIC_CACHE}. */
  name?: string;
  /** Memory for cached objects, in MB (HAProxy's unit). Default 64. */
  totalMaxSizeMb?: number;
  /** Largest object cached, in bytes; must be under half of the total. Default 2 MiB. */
  maxObjectBytes?: number;
  /**
   * Longest an object is kept, in seconds, whatever its Cache-Control says (immutable assets
   * say a year). Default 3600: memory goes to what is requested now.
   */
  maxAgeSeconds?: number;
}

/**
 * The `cache` section. `process-vary on` lets HAProxy store responses carrying `Vary:
 * Accept-Encoding` (one entry per encoding the client accepts); without it they are never stored.
 * HAProxy does not store responses marked `no-cache`/`no-store`/`private` (HTML, errors), so only
 * assets are cached at the edge.
 */
export function renderStaticCache(options: StaticCacheOptions = {}): string {
  const total = options.totalMaxSizeMb ?? 64;
  const maxObject = options.maxObjectBytes ?? 2 * 1024 * 1024;
  if (maxObject * 2 > total * 1024 * 1024)
    throw new Error(`static cache: max object ${maxObject} B must be under half of ${total} MB`);
  return [
    `cache ${options.name ?? STATIC_CACHE}`,
    `  total-max-size ${total}`,
    `  max-object-size ${maxObject}`,
    `  max-age ${options.maxAgeSeconds ?? 3600}`,
    "  process-vary on",
    "",
  ].join("\n");
}

/** One static-site component to render a backend for. */
export interface StaticBackendSite {
  app: string;
  component: string;
  /** The app spec's `disable_edge_cache`: no cache-use/cache-store for this site. */
  disableEdgeCache?: boolean;
}

/** Options of {@link renderStaticBackend}. */
export interface StaticBackendOptions {
  /** Where the static server listens. */
  server: { host: string; port: number };
  /** The cache section's name. Default {@link STATIC_CACHE}. */
  cacheName?: string;
  /** Adds `X-Cache-Status: HIT|MISS` to responses (for tests and debugging). Default false. */
  cacheStatusHeader?: boolean;
  /** The per-app limits every app backend has (ADR 0031). Absent: none. */
  fairness?: FairnessOptions;
}

/** The value of `X-Slipway-Site` for a component: `<app>/<component>`. */
export function staticSiteKey(app: string, component: string): string {
  return `${app}/${component}`;
}

/** A virtual Host per site, so the edge cache's key (Host + URI) never mixes two sites' files. */
export function staticSiteHost(app: string, component: string): string {
  return `${component}.${app}.static.slipway.internal`;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The backend of one static site, named `backendName(app, component)`. The site header is set
 * with `set-header`, which removes every copy a client sent; Host is replaced by
 * {@link staticSiteHost} (the original is kept in X-Forwarded-Host) because HAProxy 2.6's cache
 * key is Host + URI and two sites on one host see the same stripped paths. Throws for names the
 * spec would have refused (they are written into the config unquoted).
 */
export function renderStaticBackend(site: StaticBackendSite, options: StaticBackendOptions): string {
  for (const name of [site.app, site.component])
    if (!NAME.test(name)) throw new Error(`static backend: "${name}" is not a valid app or component name`);
  const cache = options.cacheName ?? STATIC_CACHE;
  const cached = site.disableEdgeCache !== true;
  return [
    `backend ${backendName(site.app, site.component)}`,
    ...fairnessBackendLines(options.fairness),
    `  http-request set-header ${SITE_HEADER} ${staticSiteKey(site.app, site.component)}`,
    "  http-request set-header X-Forwarded-Host %[req.hdr(host)]",
    `  http-request set-header Host ${staticSiteHost(site.app, site.component)}`,
    // Before cache-use: the cache key is the path the site is asked for.
    ...pathLines(),
    ...(cached ? [`  http-request cache-use ${cache}`, `  http-response cache-store ${cache}`] : []),
    ...(options.cacheStatusHeader === true
      ? [
          "  http-response set-header X-Cache-Status HIT if { res.cache_hit }",
          "  http-response set-header X-Cache-Status MISS if !{ res.cache_hit }",
        ]
      : []),
    `  server static ${options.server.host}:${options.server.port}`,
    "",
  ].join("\n");
}
