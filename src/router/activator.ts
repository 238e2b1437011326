/**
 * The activator of one sleeping component (scale to zero, ADR 0023): a small HTTP server on
 * loopback that HAProxy sends the component's requests to while it has no ready instance. Each
 * request wakes the component (one wake at a time, shared by the requests that arrive meanwhile),
 * is held until an instance is reachable and then proxied to it; after `holdMs` it gets a clear
 * 503. With the loading page on, a request that accepts `text/html` gets a small 503 page that
 * refreshes itself unless the component answers within 200 ms. HAProxy's own health checks (they carry no Host header;
 * every routed request has one) are answered at once, without waking anything.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** Where a woken component is reachable. */
export interface ActivatorTarget {
  address: string;
  port: number;
}

/** Options of {@link startActivator}. */
export interface ActivatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /**
   * Wakes the component and resolves once an instance is reachable; rejects when it cannot (its
   * message goes into the 503). Called again after the previous call settled.
   */
  wake(): Promise<ActivatorTarget>;
  /** How long a request is held before the 503 (read per request, so the spec may change it). */
  holdMs(): number;
  /** Whether `Accept: text/html` requests get the loading page (read per request). */
  loadingPage(): boolean;
  /** Names the component in the 503s, e.g. `web of app shop`. */
  label: string;
  /** Told of every proxied request's wait, in ms (benchmarks, logs). */
  onProxied?(waitedMs: number): void;
}

/** A running activator. */
export interface Activator {
  readonly host: string;
  readonly port: number;
  /** Requests waiting for the wake-up now. */
  held(): number;
  /** Stops accepting; requests in flight finish. */
  close(): Promise<void>;
}

/** Headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** The loading page: a 503 that refreshes itself every 2 s until the service answers. */
export function loadingPageHtml(label: string): string {
  const safe = label.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Waking up</title></head>
<body style="font-family:sans-serif;text-align:center;margin-top:20vh">
<h1>Waking up</h1><p>${safe} was asleep and is starting. This page reloads by itself.</p>
</body></html>
`;
}

/**
 * How long a browser's request waits before it gets the loading page: long enough for the app's
 * own answer when the component is already up (the router has not switched back yet), short
 * enough that a person sees the page at once when it is not.
 */
const LOADING_PAGE_AFTER_MS = 200;

function acceptsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(req.headers.accept ?? "");
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

function proxy(req: IncomingMessage, res: ServerResponse, target: ActivatorTarget, label: string): void {
  const upstream = request(
    {
      host: target.address,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardable(req.headers),
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, forwardable(up.headers));
      up.pipe(res);
    },
  );
  upstream.on("error", (err) => {
    if (!res.headersSent) answer(res, 502, `${label} woke up but the request to it failed: ${err.message}\n`);
    else res.destroy(err);
  });
  req.pipe(upstream);
}

/** Starts an activator; resolves once it listens. */
export function startActivator(options: ActivatorOptions): Promise<Activator> {
  let waking: Promise<ActivatorTarget> | undefined;
  let held = 0;
  const wake = () => {
    waking ??= options.wake().finally(() => {
      waking = undefined;
    });
    return waking;
  };
  const server = createServer((req, res) => {
    if (req.headers.host === undefined) return answer(res, 200, "activator\n");
    const started = performance.now();
    const woken = wake();
    const page = options.loadingPage() && acceptsHtml(req);
    const holdMs = page ? LOADING_PAGE_AFTER_MS : options.holdMs();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`it did not wake within ${holdMs / 1000} s`)), holdMs);
    });
    held++;
    Promise.race([woken, timeout])
      .then(
        (target) => {
          options.onProxied?.(performance.now() - started);
          proxy(req, res, target, options.label);
        },
        (err: unknown) => {
          if (page)
            return answer(res, 503, loadingPageHtml(options.label), {
              "content-type": "text/html; charset=utf-8",
              "retry-after": "2",
            });
          const why = err instanceof Error ? err.message : String(err);
          answer(res, 503, `${options.label} is waking up from sleep but ${why}; try again shortly\n`, {
            "retry-after": "5",
          });
        },
      )
      .finally(() => {
        held--;
        clearTimeout(timer);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const address = server.address() as AddressInfo;
      resolve({
        host: address.address,
        port: address.port,
        held: () => held,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
