import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AppSpec, normalize } from "../spec/index.js";
import { type RouteRule, type RouteTable, routeTable } from "./route-table.js";

function app(spec: AppSpec): { name: string; spec: AppSpec } {
  return { name: spec.name, spec: normalize(spec) };
}

function rulesOf(table: RouteTable, host: string): RouteRule[] {
  const found = table.hosts.find((h) => h.host === host);
  assert.ok(found, `no host ${host} in ${table.hosts.map((h) => h.host).join(", ")}`);
  return found.rules;
}

function paths(rules: readonly RouteRule[]): string[] {
  return rules.map((r) => (r.match.path.kind === "exact" ? `=${r.match.path.exact}` : r.match.path.prefix));
}

const twoServices = { services: [{ name: "api", http_port: 3000 }, { name: "web" }] };

describe("routeTable", () => {
  it("routes a single-service app on <app>.localhost through the default route", () => {
    const table = routeTable([app({ name: "shop", services: [{ name: "web" }] })]);
    assert.deepEqual(table.hosts, [
      {
        host: "shop.localhost",
        rules: [
          {
            match: {
              host: "shop.localhost",
              path: { kind: "prefix", prefix: "/" },
              authoritySpecific: false,
            },
            action: { kind: "backend", backend: "shop__web" },
            app: "shop",
          },
        ],
      },
    ]);
    assert.deepEqual(table.backends, [{ name: "shop__web", app: "shop", component: "web", port: 8080 }]);
    assert.deepEqual(table.issues, []);
  });

  it("uses the given base domain and every domains[] entry, lower-cased without a trailing dot", () => {
    const spec: AppSpec = {
      name: "shop",
      services: [{ name: "web" }],
      domains: [{ domain: "Shop.Example.com." }, { domain: "www.example.com" }],
    };
    const table = routeTable([app(spec)], { baseDomain: "apps.test" });
    assert.deepEqual(
      table.hosts.map((h) => h.host),
      ["shop.apps.test", "shop.example.com", "www.example.com"],
    );
  });

  it("orders exact before prefix, longer prefixes first, and keeps spec order for ties", () => {
    const spec: AppSpec = {
      name: "shop",
      ...twoServices,
      ingress: {
        rules: [
          { match: { path: { prefix: "/" } }, component: { name: "web" } },
          { match: { path: { prefix: "/api" } }, component: { name: "api" } },
          { match: { path: { prefix: "/api/v2" } }, component: { name: "api" } },
          { match: { path: { exact: "/a" } }, component: { name: "web" } },
        ],
      },
    };
    assert.deepEqual(paths(rulesOf(routeTable([app(spec)]), "shop.localhost")), [
      "=/a",
      "/api/v2",
      "/api",
      "/",
    ]);
  });

  it("puts an authority-specific rule before a generic one with the same path, on its host only", () => {
    const spec: AppSpec = {
      name: "shop",
      ...twoServices,
      domains: [{ domain: "api.example.com" }],
      ingress: {
        rules: [
          { match: { path: { prefix: "/" } }, component: { name: "web" } },
          {
            match: { path: { prefix: "/" }, authority: { exact: "api.example.com" } },
            component: { name: "api" },
          },
        ],
      },
    };
    const table = routeTable([app(spec)]);
    const onDomain = rulesOf(table, "api.example.com");
    assert.deepEqual(
      onDomain.map((r) => r.action.kind === "backend" && r.action.backend),
      ["shop__api", "shop__web"],
    );
    assert.equal(rulesOf(table, "shop.localhost").length, 1);
  });

  it("skips an authority that is not one of the app's hosts, with an issue", () => {
    const spec: AppSpec = {
      name: "shop",
      ...twoServices,
      ingress: {
        rules: [
          {
            match: { path: { prefix: "/" }, authority: { exact: "other.example.com" } },
            component: { name: "api" },
          },
        ],
      },
    };
    const table = routeTable([app(spec)]);
    assert.deepEqual(rulesOf(table, "shop.localhost"), []);
    assert.match(table.issues.join("\n"), /other\.example\.com is not one of the app's hosts/);
  });

  it("strips the matched prefix by default, keeps it with preserve_path_prefix, rewrites it with rewrite", () => {
    const spec: AppSpec = {
      name: "shop",
      ...twoServices,
      ingress: {
        rules: [
          { match: { path: { prefix: "/api" } }, component: { name: "api" } },
          { match: { path: { prefix: "/keep" } }, component: { name: "api", preserve_path_prefix: true } },
          { match: { path: { prefix: "/v2" } }, component: { name: "api", rewrite: "/v1/" } },
        ],
      },
    };
    const actions = rulesOf(routeTable([app(spec)]), "shop.localhost").map((r) => r.action);
    assert.deepEqual(actions, [
      { kind: "backend", backend: "shop__api" },
      { kind: "backend", backend: "shop__api", stripPrefix: "/api" },
      { kind: "backend", backend: "shop__api", stripPrefix: "/v2", rewrite: "/v1/" },
    ]);
  });

  it("fills redirect defaults: code 302 and scheme https, the request's host and URI", () => {
    const spec: AppSpec = {
      name: "shop",
      ...twoServices,
      ingress: {
        rules: [
          { match: { path: { prefix: "/old" } }, redirect: {} },
          {
            match: { path: { prefix: "/x" } },
            redirect: { uri: "/y", authority: "e.com", port: 8443, scheme: "http", redirect_code: 308 },
          },
        ],
      },
    };
    const actions = rulesOf(routeTable([app(spec)]), "shop.localhost").map((r) => r.action);
    assert.deepEqual(actions, [
      { kind: "redirect", code: 302, scheme: "https" },
      { kind: "redirect", code: 308, scheme: "http", authority: "e.com", port: 8443, uri: "/y" },
    ]);
  });

  it("turns deprecated routes into rules when there are no ingress rules, with component cors", () => {
    const spec: AppSpec = {
      name: "shop",
      services: [
        { name: "api", routes: [{ path: "/api" }], cors: { allow_origins: [{ exact: "https://a.com" }] } },
        { name: "web", routes: [{ path: "/" }, { path: "/static", preserve_path_prefix: true }] },
      ],
    };
    const rules = rulesOf(routeTable([app(spec)]), "shop.localhost");
    assert.deepEqual(paths(rules), ["/static", "/api", "/"]);
    assert.deepEqual(rules[1]?.action, { kind: "backend", backend: "shop__api", stripPrefix: "/api" });
    assert.deepEqual(rules[1]?.cors, { allow_origins: [{ exact: "https://a.com" }] });
    assert.deepEqual(rules[0]?.action, { kind: "backend", backend: "shop__web" });
  });

  it("ignores deprecated routes when ingress rules exist", () => {
    const spec: AppSpec = {
      name: "shop",
      services: [{ name: "api", routes: [{ path: "/api" }] }, { name: "web" }],
      ingress: { rules: [{ match: { path: { prefix: "/" } }, component: { name: "web" } }] },
    };
    assert.deepEqual(paths(rulesOf(routeTable([app(spec)]), "shop.localhost")), ["/"]);
  });

  it("gives a host claimed by two apps to the first by name and reports the other", () => {
    const one: AppSpec = { name: "one", services: [{ name: "web" }], domains: [{ domain: "x.example.com" }] };
    const two: AppSpec = { name: "two", services: [{ name: "web" }], domains: [{ domain: "x.example.com" }] };
    const table = routeTable([app(two), app(one)]);
    assert.equal(rulesOf(table, "x.example.com")[0]?.app, "one");
    assert.deepEqual(table.issues, ["two: host x.example.com is already routed to one"]);
  });

  it("skips rules naming an unknown or non-public component and paths unfit for a map", () => {
    const spec: AppSpec = {
      name: "shop",
      services: [{ name: "web" }],
      workers: [{ name: "jobs" }],
      ingress: {
        rules: [
          { match: { path: { prefix: "/w" } }, component: { name: "jobs" } },
          { match: { path: { prefix: "/a b" } }, component: { name: "web" } },
        ],
      },
    };
    const table = routeTable([app(spec)]);
    assert.deepEqual(rulesOf(table, "shop.localhost"), []);
    assert.equal(table.issues.length, 2);
    assert.deepEqual(table.backends, []);
  });

  it("records the readiness http_path of a backend for health checks", () => {
    const spec: AppSpec = {
      name: "shop",
      services: [{ name: "web", http_port: 3000, health_check: { http_path: "/healthz" } }],
    };
    assert.deepEqual(routeTable([app(spec)]).backends, [
      { name: "shop__web", app: "shop", component: "web", port: 3000, healthPath: "/healthz" },
    ]);
  });

  it("is pure: the same input in another order gives the same table", () => {
    const a = app({ name: "a", services: [{ name: "web" }] });
    const b = app({ name: "b", services: [{ name: "web" }] });
    assert.deepEqual(routeTable([a, b]), routeTable([b, a]));
  });
});
