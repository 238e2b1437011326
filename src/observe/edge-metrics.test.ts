import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BackendOwner, createMetricsRegistry } from "./edge-metrics.js";
import { parsePrometheusText } from "./prometheus-text.js";

function haproxyText(
  backends: Record<string, { req: number; ok: number; notFound: number; rt: number }>,
): string {
  const lines = [
    "# HELP haproxy_backend_http_requests_total Total number of HTTP requests received",
    'haproxy_frontend_http_requests_total{proxy="slipway"} 50',
    'haproxy_frontend_http_responses_total{proxy="slipway",code="4xx"} 9',
    'haproxy_frontend_http_responses_total{proxy="slipway_metrics",code="2xx"} 3',
  ];
  for (const [proxy, v] of Object.entries(backends)) {
    lines.push(`haproxy_backend_http_requests_total{proxy="${proxy}"} ${v.req}`);
    lines.push(`haproxy_backend_http_responses_total{proxy="${proxy}",code="2xx"} ${v.ok}`);
    lines.push(`haproxy_backend_http_responses_total{proxy="${proxy}",code="4xx"} ${v.notFound}`);
    lines.push(`haproxy_backend_response_time_average_seconds{proxy="${proxy}"} ${v.rt.toFixed(6)}`);
    lines.push(`haproxy_backend_bytes_in_total{proxy="${proxy}"} 123`);
  }
  return `${lines.join("\n")}\n`;
}

const OWNERS: Record<string, BackendOwner> = {
  shop__web: { app: "shop", component: "web" },
  spare__0: { app: "blog", component: "api" },
};

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  return parsePrometheusText(text, new Set([name])).find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

describe("createMetricsRegistry", () => {
  it("reports per-component requests, status classes and latency from HAProxy's backends", async () => {
    let text = haproxyText({
      shop__web: { req: 7, ok: 5, notFound: 2, rt: 0.012 },
      spare__0: { req: 3, ok: 3, notFound: 0, rt: 0.001 },
      spare__1: { req: 9, ok: 9, notFound: 0, rt: 0 },
    });
    const registry = createMetricsRegistry({
      scrapeEdge: async () => text,
      owners: () => (b) => OWNERS[b],
      processMetrics: false,
    });
    let out = await registry.render();
    assert.equal(value(out, "slipway_app_http_requests_total", { app: "shop", component: "web" }), 7);
    assert.equal(value(out, "slipway_app_http_responses_total", { app: "shop", code: "4xx" }), 2);
    assert.equal(value(out, "slipway_app_http_requests_total", { app: "blog", component: "api" }), 3);
    assert.equal(value(out, "slipway_app_http_response_time_average_seconds", { app: "shop" }), 0.012);
    assert.equal(value(out, "slipway_edge_scrape_up", {}), 1);
    assert.doesNotMatch(out, /spare__1|bytes_in/, "free spares and other metrics are not reported");
    assert.equal(value(out, "slipway_router_http_requests_total", {}), 50);
    assert.equal(value(out, "slipway_router_http_responses_total", { code: "4xx" }), 9);
    assert.equal(value(out, "slipway_router_http_responses_total", { code: "2xx" }), undefined);

    // More traffic, then a reload: HAProxy's counters start again, Slipway's keep growing.
    text = haproxyText({
      shop__web: { req: 10, ok: 8, notFound: 2, rt: 0.01 },
      spare__0: { req: 3, ok: 3, notFound: 0, rt: 0 },
    });
    await registry.render();
    text = haproxyText({
      shop__web: { req: 4, ok: 4, notFound: 0, rt: 0.01 },
      spare__0: { req: 0, ok: 0, notFound: 0, rt: 0 },
    });
    out = await registry.render();
    assert.equal(value(out, "slipway_app_http_requests_total", { app: "shop", component: "web" }), 14);
    assert.equal(value(out, "slipway_app_http_responses_total", { app: "shop", code: "2xx" }), 12);
  });

  it("marks a failed scrape with slipway_edge_scrape_up 0 and keeps the counters", async () => {
    let fail = false;
    const registry = createMetricsRegistry({
      scrapeEdge: async () => {
        if (fail) throw new Error("no socket");
        return haproxyText({ shop__web: { req: 2, ok: 2, notFound: 0, rt: 0 } });
      },
      owners: () => (b) => OWNERS[b],
      processMetrics: false,
    });
    await registry.render();
    fail = true;
    const out = await registry.render();
    assert.equal(value(out, "slipway_edge_scrape_up", {}), 0);
    assert.equal(value(out, "slipway_app_http_requests_total", { app: "shop" }), 2);
  });
});

describe("parsePrometheusText", () => {
  it("reads samples with labels (escapes included) and skips comments and junk", () => {
    const samples = parsePrometheusText(
      '# TYPE x counter\nx{a="1",b="q\\"z"} 3\ny 4.5 1700000000\nnot a sample\nz{bad} 1\n',
    );
    assert.deepEqual(samples, [
      { name: "x", labels: { a: "1", b: 'q"z' }, value: 3 },
      { name: "y", labels: {}, value: 4.5 },
    ]);
  });
});
