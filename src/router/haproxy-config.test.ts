import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type AppSpec, normalize } from "../spec/index.js";
import { durationSeconds, EXACT_MAP, mapValue, PREFIX_MAP, renderHaproxyConfig } from "./haproxy-config.js";
import { routeTable } from "./route-table.js";

// Tests run from dist/; the reviewed snapshots live beside the source.
function snapshot(name: string): string {
  return fileURLToPath(new URL(`../../../src/router/__snapshots__/${name}.snap`, import.meta.url));
}

function assertSnapshot(name: string, rendered: string): void {
  const file = snapshot(name);
  if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(file, rendered);
  assert.ok(existsSync(file), `no snapshot at ${file}; run with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(rendered, readFileSync(file, "utf8"));
}

const shop: AppSpec = {
  name: "shop",
  domains: [{ domain: "shop.example.com" }],
  services: [
    { name: "api", http_port: 3000, health_check: { http_path: "/healthz" } },
    { name: "web", http_port: 8080 },
  ],
  ingress: {
    rules: [
      {
        match: { path: { prefix: "/api" } },
        component: { name: "api" },
        cors: {
          allow_origins: [
            { exact: "https://app.example.com" },
            { prefix: "https://dev." },
            { regex: "^https://.*$" },
          ],
          allow_methods: ["GET", "PUT"],
          allow_headers: ["X-Token"],
          expose_headers: ["X-Request-Id"],
          max_age: "1h30m",
          allow_credentials: true,
        },
      },
      { match: { path: { prefix: "/v2" } }, component: { name: "api", rewrite: "/v1/" } },
      { match: { path: { exact: "/old" } }, redirect: { uri: "/new", redirect_code: 301 } },
      { match: { path: { prefix: "/" } }, component: { name: "web" } },
    ],
  },
};
const blog: AppSpec = { name: "blog", static_sites: [{ name: "site" }] };

const rendered = renderHaproxyConfig(
  routeTable([
    { name: "shop", spec: normalize(shop) },
    { name: "blog", spec: normalize(blog) },
  ]),
  {
    httpPort: 8000,
    statsSocket: "/run/slipway/haproxy.sock",
    mapDir: "/var/lib/slipway/router",
    spareBackends: 1,
    metricsSocket: "/var/lib/slipway/router/metrics.sock",
  },
);

describe("renderHaproxyConfig", () => {
  it("renders the snapshotted configuration", () => {
    assertSnapshot("haproxy.cfg", rendered.config);
  });

  it("renders the snapshotted map files", () => {
    assert.deepEqual(Object.keys(rendered.maps), [EXACT_MAP, PREFIX_MAP]);
    assertSnapshot("exact.map", rendered.maps[EXACT_MAP] ?? "");
    assertSnapshot("prefix.map", rendered.maps[PREFIX_MAP] ?? "");
  });

  it("checks health over HTTP only for backends whose spec has an http_path", () => {
    const backends = rendered.config.split("\nbackend ").slice(1);
    const checked = backends.filter((b) => b.includes("option httpchk")).map((b) => b.split("\n")[0]);
    assert.deepEqual(checked, ["shop__api"]);
    assert.match(
      rendered.config,
      /option httpchk GET \/healthz\n {2}server-template s 1-10 127\.0\.0\.1:3000 disabled check\n/,
    );
  });

  it("strips and rewrites paths only in backends a route strips or rewrites for, and in spares", () => {
    const [frontend = "", ...backends] = rendered.config.split("\nbackend ");
    assert.doesNotMatch(frontend, /txn\.strip|set-path/);
    const rewriting = backends.filter((b) => b.includes("set-path")).map((b) => b.split("\n")[0]);
    // shop__api: /api is stripped and /v2 rewritten; shop__web is routed at / (nothing to strip).
    assert.deepEqual(rewriting, ["shop__api", "spare__0"]);
    const plainTable = routeTable([
      { name: "plain", spec: normalize({ name: "plain", services: [{ name: "web", http_port: 8080 }] }) },
    ]);
    const plain = renderHaproxyConfig(plainTable, {
      httpPort: 1,
      statsSocket: "/s",
      mapDir: "/m",
      spareBackends: 0,
    });
    assert.doesNotMatch(plain.config, /txn\.strip|set-path|txn\.kind/);
  });

  it("renders regex CORS origins anchored, single-quoted, on an Origin of bounded length", () => {
    assert.match(
      rendered.config,
      /acl cors_c0 var\(txn\.origin_re\) -m reg '\^\(\?:\^https:\/\/\.\*\$\)\$'\n/,
    );
    assert.match(
      rendered.config,
      /set-var\(txn\.origin_re\) var\(txn\.origin\) if \{ var\(txn\.origin\),length -m int le 300 \}/,
    );
    assert.match(rendered.config, /acl cors_c0 var\(txn\.origin\) -m beg https:\/\/dev\./);
  });

  it("leaves out a regex origin outside the PCRE2-safe subset (validation refuses it first)", () => {
    const risky: AppSpec = {
      name: "risky",
      services: [
        {
          name: "web",
          http_port: 8080,
          cors: { allow_origins: [{ regex: "^(a+)+$" }, { exact: "https://ok.example" }] },
        },
      ],
    };
    const out = renderHaproxyConfig(routeTable([{ name: "risky", spec: normalize(risky) }]), {
      httpPort: 8000,
      statsSocket: "/s",
      mapDir: "/m",
    }).config;
    assert.doesNotMatch(out, /cors_c0 .*-m reg|origin_re/);
    assert.match(out, /acl cors_c0 var\(txn\.origin\) -m str https:\/\/ok\.example/);
  });

  it("serves HAProxy's Prometheus exporter on a mode-600 UNIX socket, in its own frontend", () => {
    assert.match(
      rendered.config,
      /frontend slipway_metrics\n {2}bind unix@\/var\/lib\/slipway\/router\/metrics\.sock mode 600\n {2}http-request use-service prometheus-exporter if \{ path \/metrics \}\n/,
    );
  });
});

describe("renderHaproxyConfig with HTTPS and slipway_auth", () => {
  const guarded: AppSpec = {
    name: "grid",
    services: [
      {
        name: "api",
        http_port: 3000,
        slipway_auth: { issuer: "https://id.example.com/", audiences: ["grid"], scopes: ["read:plants"] },
      },
    ],
  };
  const withTls = renderHaproxyConfig(routeTable([{ name: "grid", spec: normalize(guarded) }]), {
    httpPort: 8000,
    statsSocket: "/run/slipway/haproxy.sock",
    mapDir: "/var/lib/slipway/router",
    spareBackends: 0,
    tls: { httpsPort: 8443, crtList: "/var/lib/slipway/router/crt-list.txt", redirectHttp: true },
    jwtKeys: [
      { issuer: "https://id.example.com/", kid: "k1", alg: "RS256", file: "/var/lib/slipway/keys/k1.pem" },
    ],
  });

  it("renders the snapshotted configuration", () => {
    assertSnapshot("haproxy-tls-jwt.cfg", withTls.config);
  });

  it("changes nothing for a table without them (the plain snapshot above holds)", () => {
    assert.doesNotMatch(rendered.config, /ssl|jwt/);
  });
});

describe("mapValue", () => {
  it("encodes backend and redirect actions as |-separated fields", () => {
    assert.equal(
      mapValue({ kind: "backend", backend: "a__web", stripPrefix: "/api", rewrite: "/v1/" }, "c1"),
      "B|c1|a__web|4|/v1/",
    );
    assert.equal(mapValue({ kind: "redirect", code: 302, scheme: "https" }), "R||302|https|||");
    assert.equal(
      mapValue({ kind: "redirect", code: 308, scheme: "http", authority: "e.com", port: 81, uri: "/x" }),
      "R||308|http|e.com|:81|/x",
    );
  });
});

describe("durationSeconds", () => {
  it("reads Go durations and rejects anything else", () => {
    assert.equal(durationSeconds("5h30m"), 19800);
    assert.equal(durationSeconds("90s"), 90);
    assert.equal(durationSeconds("1.5h"), 5400);
    assert.equal(durationSeconds("soon"), undefined);
    assert.equal(durationSeconds("5x"), undefined);
  });
});
