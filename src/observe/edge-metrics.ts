/**
 * Slipway's metrics registry (ADR 0022): per app and component request counts, responses by
 * status class and a latency figure, derived at scrape time from HAProxy's Prometheus exporter
 * (one backend per component), plus the Node process's own metrics. prom-client renders the
 * text format.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { parsePrometheusText } from "./prometheus-text.js";

/** Which app and component an HAProxy backend serves. */
export interface BackendOwner {
  app: string;
  component: string;
}

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /**
   * HAProxy's exporter text (`/metrics?scope=backend&scope=frontend`); a rejection marks the
   * scrape failed.
   */
  scrapeEdge: () => Promise<string>;
  /**
   * Called once per scrape: HAProxy backend name -> the component it serves now (spare backends
   * hold apps added between reloads); undefined for backends serving nobody (not counted).
   */
  owners: () => (backend: string) => BackendOwner | undefined;
  /** The HAProxy frontend apps are served by (its totals include requests no app answered). Default `slipway`. */
  frontend?: string;
  /** Add the Node process's default metrics (CPU, memory, event loop). Default true. */
  processMetrics?: boolean;
}

/** A registry that reads the edge on every render. */
export interface MetricsRegistry {
  /** The Content-Type of {@link render}'s text. */
  readonly contentType: string;
  /** Scrapes the edge (concurrent calls share one scrape) and renders every metric. */
  render(): Promise<string>;
}

const REQUESTS = "haproxy_backend_http_requests_total";
const RESPONSES = "haproxy_backend_http_responses_total";
const RESPONSE_TIME = "haproxy_backend_response_time_average_seconds";
const FRONTEND_REQUESTS = "haproxy_frontend_http_requests_total";
const FRONTEND_RESPONSES = "haproxy_frontend_http_responses_total";
const NAMES = new Set([REQUESTS, RESPONSES, RESPONSE_TIME, FRONTEND_REQUESTS, FRONTEND_RESPONSES]);

/**
 * Creates the registry. HAProxy's counters start again from 0 in every new worker (each reload);
 * Slipway's counters are kept monotonic by adding each backend's increase since the previous
 * scrape, taking a value below the previous one as a restart (as Prometheus' `rate` does).
 * Requests served between the last scrape and a reload are therefore not counted.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): MetricsRegistry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const labelNames = ["app", "component"] as const;
  const requests = new Counter({
    name: "slipway_app_http_requests_total",
    help: "HTTP requests the router sent to an app's component (HAProxy backend requests).",
    labelNames,
    registers: [registry],
  });
  const responses = new Counter({
    name: "slipway_app_http_responses_total",
    help: "HTTP responses of an app's component through the router, by status class (1xx..5xx, other).",
    labelNames: [...labelNames, "code"] as const,
    registers: [registry],
  });
  const responseTime = new Gauge({
    name: "slipway_app_http_response_time_average_seconds",
    help: "Average time to the response headers over the component's last 1024 requests (HAProxy).",
    labelNames,
    registers: [registry],
  });
  const routerRequests = new Counter({
    name: "slipway_router_http_requests_total",
    help: "HTTP requests the router received, including those it answered itself (no route, CORS preflight, redirect, 400, 408, 429).",
    registers: [registry],
  });
  const routerResponses = new Counter({
    name: "slipway_router_http_responses_total",
    help: "HTTP responses the router sent, by status class, including its own.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const frontend = options.frontend ?? "slipway";
  const scrapeUp = new Gauge({
    name: "slipway_edge_scrape_up",
    help: "1 when the last read of the router's (HAProxy's) metrics succeeded, else 0.",
    registers: [registry],
  });
  const last = new Map<string, number>();
  const update = async () => {
    let text: string;
    try {
      text = await options.scrapeEdge();
    } catch {
      scrapeUp.set(0);
      return;
    }
    scrapeUp.set(1);
    responseTime.reset();
    const ownerOf = options.owners();
    for (const s of parsePrometheusText(text, NAMES)) {
      const proxy = s.labels.proxy;
      if (proxy === undefined) continue;
      const code = s.labels.code;
      if (s.name === FRONTEND_REQUESTS || s.name === FRONTEND_RESPONSES) {
        if (proxy !== frontend) continue;
        const increase = increaseOf(last, `${proxy}\0${s.name}\0${code ?? ""}`, s.value);
        if (s.name === FRONTEND_REQUESTS) routerRequests.inc(increase);
        else if (code !== undefined) routerResponses.inc({ code }, increase);
        continue;
      }
      const owner = ownerOf(proxy);
      if (s.name === RESPONSE_TIME) {
        if (owner !== undefined) responseTime.set({ ...owner }, s.value);
        continue;
      }
      // Counted even without an owner, so a spare's earlier traffic is not given to its next app.
      const increase = increaseOf(last, `${proxy}\0${s.name}\0${code ?? ""}`, s.value);
      if (owner === undefined) continue;
      if (s.name === REQUESTS) requests.inc({ ...owner }, increase);
      else if (code !== undefined) responses.inc({ ...owner, code }, increase);
    }
  };
  let inFlight: Promise<void> | undefined;
  return {
    contentType: registry.contentType,
    render: async () => {
      inFlight ??= update().finally(() => {
        inFlight = undefined;
      });
      await inFlight;
      return registry.metrics();
    },
  };
}

/** The increase of a counter since its previous reading; a drop means HAProxy restarted it from 0. */
function increaseOf(last: Map<string, number>, key: string, value: number): number {
  const before = last.get(key) ?? 0;
  last.set(key, value);
  return value >= before ? value - before : value;
}
