/**
 * One HTTP server for every static site on the machine, behind HAProxy. The site is chosen per
 * request by the `X-Slipway-Site` header, which only HAProxy sets: each static site's backend
 * overwrites it (`http-request set-header` replaces every copy a client sent), and the server
 * listens on loopback, so a client can never pick another site's tree.
 */
import { once } from "node:events";
import { realpath } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StaticSiteSpec } from "../../spec/index.js";
import { CompressedCache } from "./compressed-cache.js";
import { parseRequestPath } from "./request-path.js";
import { resolveInSite } from "./resolve-in-site.js";
import { sendFile } from "./send-file.js";

/** The request header naming the site (`<app>/<component>`); set by HAProxy, never by clients. */
export const SITE_HEADER = "x-slipway-site";

/** A site's tree and its DigitalOcean static-site documents. */
export interface StaticSite {
  /** The directory served: an artifact's app tree (`output_dir` was applied by the build). */
  root: string;
  /** Served for a directory (`/`, `/docs/`). Default `index.html`. */
  indexDocument?: string;
  /** Served with 404 for paths that name nothing. */
  errorDocument?: string;
  /** Served with 200 for paths that name nothing (single-page apps); wins over `errorDocument`. */
  catchallDocument?: string;
}

/** Finds a site by the header's value; consulted on every request, so sites change without a restart. */
export type SiteLookup = (site: string) => StaticSite | undefined;

/** What the server tells {@link StaticServerOptions.onResponse} about each finished response. */
export interface StaticAccess {
  site: string | undefined;
  method: string;
  url: string;
  status: number;
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** Address to listen on. Default `127.0.0.1` (HAProxy is the only client). */
  host?: string;
  /** Port; default 0 (any free one, see {@link StaticServer.port}). */
  port?: number;
  /** The sites, looked up per request. */
  sites: SiteLookup;
  /** Bytes of compressed bodies kept in memory. Default 64 MiB. */
  compressedCacheBytes?: number;
  /** Larger files are sent uncompressed. Default 8 MiB. */
  maxCompressBytes?: number;
  /** Time to receive a request's headers before the connection is dropped. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Called after each response (access log, counters). */
  onResponse?: (access: StaticAccess) => void;
  /** Called with unexpected errors; the client only ever sees "Internal error." (no paths). */
  onError?: (err: unknown) => void;
}

/** A running static server. */
export interface StaticServer {
  host: string;
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The {@link StaticSite} for a static-site component whose build output is at `root`. */
export function staticSiteOf(root: string, spec: StaticSiteSpec): StaticSite {
  return {
    root,
    indexDocument: spec.index_document ?? "index.html",
    ...(spec.error_document === undefined ? {} : { errorDocument: spec.error_document }),
    ...(spec.catchall_document === undefined ? {} : { catchallDocument: spec.catchall_document }),
  };
}

/**
 * Starts the server. GET and HEAD only (others 405 with Allow); unsafe paths 400, too-long ones
 * 414; a directory without its trailing slash is redirected (relative Location, so a prefix
 * HAProxy stripped is kept); a directory with it serves the index document.
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const cache = new CompressedCache(options.compressedCacheBytes ?? 64 * 1024 * 1024);
  const maxCompressBytes = options.maxCompressBytes ?? 8 * 1024 * 1024;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  // Node checks the two timeouts on this interval (default 30 s, which would triple a 10 s bound).
  const interval = Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4)));
  const server = createServer({ connectionsCheckingInterval: interval }, (req, res) => {
    const site = headerOf(req);
    res.on("finish", () =>
      options.onResponse?.({ site, method: req.method ?? "", url: req.url ?? "", status: res.statusCode }),
    );
    handle(req, res, site, options.sites, cache, maxCompressBytes).catch((err: unknown) => {
      if (res.headersSent) {
        // Mostly a client that went away mid-body (ERR_STREAM_PREMATURE_CLOSE): nothing to report.
        if (!(err instanceof Error && "code" in err && err.code === "ERR_STREAM_PREMATURE_CLOSE"))
          options.onError?.(err);
        res.destroy();
        return;
      }
      options.onError?.(err);
      plain(res, 500, "Internal error.");
    });
  });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Longer than HAProxy's idle-connection purge (5 s), so HAProxy closes reused connections first.
  server.keepAliveTimeout = 15_000;
  const host = options.host ?? "127.0.0.1";
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function headerOf(req: IncomingMessage): string | undefined {
  const value = req.headers[SITE_HEADER];
  return typeof value === "string" ? value : undefined;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  siteKey: string | undefined,
  sites: SiteLookup,
  cache: CompressedCache,
  maxCompressBytes: number,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return plain(res, 405, "Method not allowed: static sites answer GET and HEAD.");
  }
  const site = siteKey === undefined ? undefined : sites(siteKey);
  if (site === undefined) return plain(res, 404, "No static site is served here.");
  const url = req.url ?? "/";
  const parsed = parseRequestPath(url);
  if (!parsed.ok) return plain(res, parsed.status, statusText(parsed.status));
  const root = await realpath(site.root);
  const entry = await resolveInSite(root, parsed.segments);
  const send = (path: string, stats: Parameters<typeof sendFile>[3], status: 200 | 404) =>
    sendFile(req, res, path, stats, { cache, maxCompressBytes, status });
  if (entry.kind === "file" && !parsed.trailingSlash) return send(entry.path, entry.stats, 200);
  if (entry.kind === "directory") {
    const last = parsed.segments.at(-1);
    if (!parsed.trailingSlash && last !== undefined) {
      const query = url.includes("?") ? url.slice(url.indexOf("?")) : "";
      res.setHeader("Location", `${encodeURIComponent(last)}/${query}`);
      return plain(res, 301, "Moved permanently.");
    }
    const index = await resolveInSite(root, [...parsed.segments, ...documentPath(site.indexDocument)]);
    if (index.kind === "file") return send(index.path, index.stats, 200);
  }
  for (const [doc, status] of [
    [site.catchallDocument, 200],
    [site.errorDocument, 404],
  ] as const) {
    if (doc === undefined) continue;
    const found = await resolveInSite(root, documentPath(doc));
    if (found.kind === "file") return send(found.path, found.stats, status);
  }
  return plain(res, 404, "Not found.");
}

/** A document name from the spec as segments; `..` and `.` are dropped so it stays in the tree. */
function documentPath(doc: string | undefined): string[] {
  return (doc ?? "index.html").split("/").filter((s) => s !== "" && s !== "." && s !== "..");
}

function statusText(status: 400 | 404 | 414): string {
  if (status === 414) return "URI too long.";
  return status === 400 ? "Bad request: the path is not a safe path." : "Not found.";
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(`${text}\n`);
}
