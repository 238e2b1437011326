/**
 * `GET /metrics` on the real API (in-process, real SQLite store): the admin token reads it, team
 * tokens are refused with 403 and no token with 401 (ADR 0022).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import { metricsHandler } from "../src/api/index.js";
import { createMetricsRegistry } from "../src/observe/index.js";
import { type ApiFixture, createApiFixture, tokenOf } from "./helpers/api-fixture.js";

describe("GET /metrics on the API", () => {
  let f: ApiFixture;
  // The fixture's API has served requests already (Hono takes no routes after that): the
  // handler is mounted on its own app over the fixture's store and tokens, as server.ts mounts it.
  const app = new Hono();
  const get = (token?: string) =>
    app.request("/metrics", token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    f = await createApiFixture();
    const metrics = createMetricsRegistry({
      scrapeEdge: async () => 'haproxy_backend_http_requests_total{proxy="shop__web"} 4\n',
      owners: () => (backend) => (backend === "shop__web" ? { app: "shop", component: "web" } : undefined),
      processMetrics: false,
    });
    app.get(
      "/metrics",
      metricsHandler({ store: f.store, render: metrics.render, contentType: metrics.contentType }),
    );
  });

  after(() => f.close());

  it("serves the Prometheus text to the admin token", async () => {
    const res = await get(f.adminToken);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^slipway_app_http_requests_total\{app="shop",component="web"\} 4$/m);
  });

  it("refuses team tokens (403) and requests without a token (401)", async () => {
    const owner = await get(tokenOf(f, "team-a", "owner"));
    assert.equal(owner.status, 403);
    assert.match(await owner.text(), /admin token/);
    assert.equal((await get()).status, 401);
  });
});
