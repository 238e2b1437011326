import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type AppSpec, normalize } from "../spec/index.js";
import { fairnessDefaults } from "./fairness-config.js";
import { renderHaproxyConfig } from "./haproxy-config.js";
import { routeTable } from "./route-table.js";

// Tests run from dist/; the reviewed snapshots live beside the source.
function assertSnapshot(name: string, rendered: string): void {
  const file = fileURLToPath(new URL(`../../../src/router/__snapshots__/${name}.snap`, import.meta.url));
  if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(file, rendered);
  assert.ok(existsSync(file), `no snapshot at ${file}; run with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(rendered, readFileSync(file, "utf8"));
}

const apps: AppSpec[] = [
  { name: "grpc", services: [{ name: "api", http_port: 50051, protocol: "HTTP2" }] },
  { name: "shop", services: [{ name: "web", http_port: 8080, health_check: { http_path: "/healthz" } }] },
];
const table = routeTable(apps.map((spec) => ({ name: spec.name, spec: normalize(spec) })));
const base = { httpPort: 8080, statsSocket: "/run/slipway/admin.sock", mapDir: "/etc/slipway/haproxy" };

describe("fairness, reload support and explicit slots in the rendered config", () => {
  it("renders the snapshotted configuration", () => {
    const rendered = renderHaproxyConfig(table, {
      ...base,
      slots: 3,
      spareBackends: 1,
      backendSlots: { shop__web: 4 },
      servers: {
        shop__web: [
          { addr: "10.0.0.7", port: 8080, weight: 3 },
          undefined,
          { addr: "fd00::2", port: 8080, disabled: true },
        ],
      },
      reloadable: { serverStateFile: "/var/lib/slipway/server-state" },
      fairness: { maxConn: 1000, serverMaxConn: 32, requestsPerSecond: 50 },
    });
    assertSnapshot("haproxy-fairness.cfg", rendered.config);
  });

  it("fills sane defaults: an app component may hold a quarter of the router's connections", () => {
    assert.deepEqual(fairnessDefaults({}), {
      maxConn: 4096,
      serverMaxConn: 64,
      queueTimeoutSeconds: 5,
      requestsPerSecond: 10_000,
      maxActiveRequests: 1024,
    });
    assert.equal(fairnessDefaults({ maxConn: 2 }).maxActiveRequests, 1);
  });

  it("renders h2 to HTTP2 services only, and nothing new without the options", () => {
    const plain = renderHaproxyConfig(table, base).config;
    assert.match(
      plain,
      /backend grpc__api\n {2}balance roundrobin\n {2}server-template s 1-10 127\.0\.0\.1:50051 disabled proto h2\n/,
    );
    assert.doesNotMatch(plain, /shop__web.*proto h2/);
    assert.doesNotMatch(plain, /stick-table|maxconn 64|server-state|expose-fd|timeout queue/);
  });
});
