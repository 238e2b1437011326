import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AppSpec, normalize } from "../spec/index.js";
import { EXACT_MAP, PREFIX_MAP } from "./haproxy-config.js";
import type { JwtKey } from "./jwt/jwt-config.js";
import { routeTable } from "./route-table.js";
import {
  type BackendEndpoints,
  type DesiredRouterState,
  type Endpoint,
  type PlanOptions,
  planRouterChanges,
  type RouterCommand,
  type RouterState,
} from "./router-plan.js";

const render = { httpPort: 8080, statsSocket: "/s/admin.sock", mapDir: "/s", slots: 2, spareBackends: 2 };
const opts = (now = 1000, extra: Partial<PlanOptions["render"]> = {}): PlanOptions => ({
  render: { ...render, ...extra },
  drainMs: 100,
  now,
});
const svc = (name: string, extra: Partial<NonNullable<AppSpec["services"]>[number]> = {}): AppSpec => ({
  name,
  services: [{ name: "web", http_port: 3000, ...extra }],
});
const ep = (id: string, port: number, extra: Partial<Endpoint> = {}): Endpoint => ({
  id,
  address: "10.0.0.1",
  port,
  ...extra,
});
function desired(apps: AppSpec[], endpoints: Record<string, Endpoint[]>): DesiredRouterState {
  const list: BackendEndpoints[] = Object.entries(endpoints).map(([app, e]) => ({
    app,
    component: "web",
    endpoints: e,
  }));
  return {
    table: routeTable(apps.map((spec) => ({ name: spec.name, spec: normalize(spec) }))),
    endpoints: list,
  };
}
/** The state after starting with `d`. */
function started(d: DesiredRouterState, o = opts()): RouterState {
  return planRouterChanges(undefined, d, o).next;
}
const kinds = (cmds: RouterCommand[]) =>
  cmds.map((c) =>
    c.kind === "replace-map"
      ? `map ${c.map}`
      : `${c.kind} ${c.backend}/s${c.slot}${c.kind === "set-state" ? ` ${c.state}` : ""}`,
  );

describe("planRouterChanges", () => {
  const one = desired([svc("a")], { a: [ep("a1", 1)] });

  it("starts with a reload whose config places every endpoint in its slot", () => {
    const plan = planRouterChanges(undefined, one, opts());
    assert.equal(plan.reload, true);
    assert.deepEqual(plan.reasons, ["first start"]);
    assert.match(
      plan.config?.config ?? "",
      /backend a__web\n.*\n {2}server s1 10\.0\.0\.1:1 weight 1\n {2}server s2 /,
    );
    assert.match(plan.config?.maps[PREFIX_MAP] ?? "", /^a\.localhost\/ B\|\|a__web\|0\|$/m);
    assert.deepEqual(plan.next.placement, { a__web: "a__web" });
  });

  it("plans nothing when nothing changed, and is idempotent after any plan", () => {
    const s = started(one);
    const plan = planRouterChanges(s, one, opts());
    assert.deepEqual([plan.runtime, plan.reload, plan.reasons], [[], false, []]);
    const two = desired([svc("a"), svc("b")], { a: [ep("a2", 2)], b: [ep("b1", 3)] });
    const moved = planRouterChanges(s, two, opts());
    const again = planRouterChanges(moved.next, two, opts());
    assert.deepEqual(
      again.runtime.filter((c) => c.kind !== "set-state" || c.state !== "maint"),
      [],
    );
  });

  it("adds an endpoint in a free slot: address, weight, ready; no reload", () => {
    const plan = planRouterChanges(
      started(one),
      desired([svc("a")], { a: [ep("a1", 1), ep("a2", 2, { weight: 5 })] }),
      opts(),
    );
    assert.equal(plan.reload, false);
    assert.deepEqual(plan.runtime, [
      { kind: "set-addr", backend: "a__web", slot: 2, addr: "10.0.0.1", port: 2 },
      { kind: "set-weight", backend: "a__web", slot: 2, weight: 5 },
      { kind: "set-state", backend: "a__web", slot: 2, state: "ready" },
    ]);
  });

  it("drains a removed endpoint for drainMs, then puts its slot in maintenance and frees it", () => {
    const s = started(desired([svc("a")], { a: [ep("a1", 1), ep("a2", 2)] }));
    const drain = planRouterChanges(s, one, opts(1000));
    assert.deepEqual(kinds(drain.runtime), ["set-state a__web/s2 drain"]);
    assert.equal(drain.nextCheckAt, 1100);
    const early = planRouterChanges(drain.next, one, opts(1050));
    assert.deepEqual(early.runtime, []);
    assert.equal(early.nextCheckAt, 1100, "the drain deadline does not move");
    const freed = planRouterChanges(drain.next, one, opts(1100));
    assert.deepEqual(kinds(freed.runtime), ["set-state a__web/s2 maint"]);
    assert.equal(freed.nextCheckAt, undefined);
    assert.deepEqual(freed.next.slots.a__web, [freed.next.slots.a__web?.[0]]);
    // The freed slot is reused by the next new endpoint.
    const reuse = planRouterChanges(
      freed.next,
      desired([svc("a")], { a: [ep("a1", 1), ep("a3", 3)] }),
      opts(1200),
    );
    assert.deepEqual(kinds(reuse.runtime), [
      "set-addr a__web/s2",
      "set-weight a__web/s2",
      "set-state a__web/s2 ready",
    ]);
  });

  it("drains an endpoint marked draining without a deadline, and changes only a weight", () => {
    const s = started(desired([svc("a")], { a: [ep("a1", 1), ep("a2", 2)] }));
    const plan = planRouterChanges(
      s,
      desired([svc("a")], { a: [ep("a1", 1, { weight: 9 }), ep("a2", 2, { draining: true })] }),
      opts(),
    );
    assert.deepEqual(kinds(plan.runtime), ["set-weight a__web/s1", "set-state a__web/s2 drain"]);
    assert.equal(plan.nextCheckAt, undefined);
  });

  it("moves a slot whose endpoint got a new address", () => {
    const plan = planRouterChanges(
      started(one),
      desired([svc("a")], { a: [{ ...ep("a1", 1), address: "10.0.0.9" }] }),
      opts(),
    );
    assert.deepEqual(kinds(plan.runtime), [
      "set-addr a__web/s1",
      "set-weight a__web/s1",
      "set-state a__web/s1 ready",
    ]);
  });

  it("puts a new plain app on a spare backend: slots first, then the map; no reload", () => {
    const plan = planRouterChanges(
      started(one),
      desired([svc("a"), svc("b")], { a: [ep("a1", 1)], b: [ep("b1", 7)] }),
      opts(),
    );
    assert.equal(plan.reload, false, plan.reasons.join());
    assert.deepEqual(kinds(plan.runtime), [
      "set-addr spare__0/s1",
      "set-weight spare__0/s1",
      "set-state spare__0/s1 ready",
      `map ${PREFIX_MAP}`,
    ]);
    const map = plan.runtime.find((c) => c.kind === "replace-map");
    assert.match(map?.kind === "replace-map" ? map.text : "", /^b\.localhost\/ B\|\|spare__0\|0\|$/m);
    assert.equal(plan.next.placement.b__web, "spare__0");
  });

  it("adds a domain to a running app through the maps alone", () => {
    const plan = planRouterChanges(
      started(one),
      desired([{ ...svc("a"), domains: [{ domain: "a.example.com" }] }], { a: [ep("a1", 1)] }),
      opts(),
    );
    assert.equal(plan.reload, false);
    assert.deepEqual(kinds(plan.runtime), [`map ${PREFIX_MAP}`]);
  });

  it("looks the exact map up only while some rule is exact: the first one reloads, later ones are map changes", () => {
    const exactRule = (path: string) => ({ match: { path: { exact: path } }, component: { name: "web" } });
    const withExact = (...paths: string[]): AppSpec => ({
      ...svc("a"),
      ingress: { rules: paths.map(exactRule) },
    });
    const first = planRouterChanges(started(one), desired([withExact("/x")], { a: [ep("a1", 1)] }), opts());
    assert.equal(first.reload, true);
    assert.match(first.config?.config ?? "", /base,map_str\(\/s\/exact\.map\)/);
    assert.match(first.config?.maps[EXACT_MAP] ?? "", /^a\.localhost\/x B\|\|a__web\|0\|$/m);
    const second = planRouterChanges(
      first.next,
      desired([withExact("/x", "/y")], { a: [ep("a1", 1)] }),
      opts(),
    );
    assert.equal(second.reload, false);
    assert.ok(kinds(second.runtime).includes(`map ${EXACT_MAP}`));
    assert.doesNotMatch(planRouterChanges(undefined, one, opts()).config?.config ?? "", /exact\.map/);
  });

  it("removes an app: its route goes first, its slots drain, then its spare is free again", () => {
    const s = planRouterChanges(
      started(one),
      desired([svc("a"), svc("b")], { a: [ep("a1", 1)], b: [ep("b1", 7)] }),
      opts(),
    ).next;
    const gone = planRouterChanges(s, one, opts(2000));
    assert.deepEqual(kinds(gone.runtime), [`map ${PREFIX_MAP}`, "set-state spare__0/s1 drain"]);
    const freed = planRouterChanges(gone.next, one, opts(2100));
    assert.deepEqual(kinds(freed.runtime), ["set-state spare__0/s1 maint"]);
    assert.equal(freed.next.placement.b__web, undefined);
    const c = planRouterChanges(
      freed.next,
      desired([svc("a"), svc("c")], { a: [ep("a1", 1)], c: [ep("c1", 8)] }),
      opts(2200),
    );
    assert.equal(c.next.placement.c__web, "spare__0");
  });

  it("reloads for a health-checked, HTTP2 or JWT app (spares have none of that)", () => {
    for (const extra of [
      { health_check: { http_path: "/up" } },
      { protocol: "HTTP2" as const },
      { slipway_auth: { issuer: "https://id.example.com", audiences: ["x"] } },
    ]) {
      const plan = planRouterChanges(
        started(one),
        desired([svc("a"), svc("b", extra)], { a: [ep("a1", 1)], b: [ep("b1", 7)] }),
        opts(),
      );
      assert.equal(plan.reload, true, JSON.stringify(extra));
      assert.match(plan.reasons.join(), /b__web is new and no spare backend fits it/);
      assert.equal(plan.next.placement.b__web, "b__web");
    }
  });

  it("reloads when the spares run out, with every app on its own backend afterwards", () => {
    let s = started(one);
    for (const name of ["b", "c"]) {
      const plan = planRouterChanges(
        s,
        desired([svc("a"), svc(name)], { a: [ep("a1", 1)], [name]: [ep(`${name}1`, 7)] }),
        opts(),
      );
      assert.equal(plan.reload, false);
      s = plan.next;
    }
    const all = desired([svc("a"), svc("b"), svc("c"), svc("d")], {
      a: [ep("a1", 1)],
      b: [ep("b1", 7)],
      c: [ep("c1", 8)],
      d: [ep("d1", 9)],
    });
    const plan = planRouterChanges(s, all, opts());
    assert.equal(plan.reload, true);
    assert.deepEqual(plan.next.placement, {
      a__web: "a__web",
      b__web: "b__web",
      c__web: "c__web",
      d__web: "d__web",
    });
    assert.match(plan.config?.maps[PREFIX_MAP] ?? "", /^b\.localhost\/ B\|\|b__web\|0\|$/m);
    assert.match(plan.config?.config ?? "", /backend spare__0\n(?:.*\n)*? {2}server-template s 1-2 /);
  });

  it("reloads when a backend gains its first route that strips a prefix, and not for another one", () => {
    const prefixed = (...prefixes: string[]): AppSpec => ({
      ...svc("a"),
      ingress: {
        rules: prefixes.map((prefix) => ({ match: { path: { prefix } }, component: { name: "web" } })),
      },
    });
    const s = started(desired([prefixed("/")], { a: [ep("a1", 1)] }));
    const strips = planRouterChanges(s, desired([prefixed("/api", "/")], { a: [ep("a1", 1)] }), opts());
    assert.deepEqual([strips.reload, strips.reasons], [true, ["backend a__web changed"]]);
    assert.match(strips.config?.config ?? "", /backend a__web\n(?:.*\n)*? {2}http-request set-path /);
    const more = planRouterChanges(
      strips.next,
      desired([prefixed("/v1", "/api", "/")], { a: [ep("a1", 1)] }),
      opts(),
    );
    assert.equal(more.reload, false);
    assert.deepEqual(kinds(more.runtime), [`map ${PREFIX_MAP}`]);
  });

  it("reloads with more slots when a backend outgrows its own", () => {
    const three = desired([svc("a")], { a: [ep("a1", 1), ep("a2", 2), ep("a3", 3)] });
    const plan = planRouterChanges(started(one), three, opts());
    assert.equal(plan.reload, true);
    assert.match(plan.reasons.join(), /a__web needs 3 slots/);
    assert.equal(plan.next.slotCounts.a__web, 4);
    // Slots the old config has are brought to the target first, so the state file carries them.
    assert.deepEqual(kinds(plan.runtime), [
      "set-addr a__web/s2",
      "set-weight a__web/s2",
      "set-state a__web/s2 ready",
    ]);
    assert.match(
      plan.config?.config ?? "",
      /server s3 10\.0\.0\.1:3 weight 1\n {2}server s4 127\.0\.0\.1:3000 disabled/,
    );
  });

  it("reloads when a backend's settings, a CORS policy, JWT keys, TLS or fairness change", () => {
    const s = started(one);
    const cors: AppSpec = {
      ...svc("a"),
      ingress: {
        rules: [
          {
            match: { path: { prefix: "/" } },
            component: { name: "web" },
            cors: { allow_origins: [{ exact: "https://x.example" }] },
          },
        ],
      },
    };
    const key: JwtKey = { issuer: "https://id.example.com", kid: "k1", alg: "RS256", file: "/k/k1.pem" };
    const cases: [DesiredRouterState, PlanOptions, RegExp][] = [
      [desired([svc("a", { http_port: 4000 })], { a: [ep("a1", 1)] }), opts(), /a__web changed/],
      [desired([cors], { a: [ep("a1", 1)] }), opts(), /configuration changed/],
      [one, opts(1000, { tls: { httpsPort: 8443, crtList: "/s/crt-list" } }), /configuration changed/],
      [one, opts(1000, { fairness: { maxConn: 10 } }), /configuration changed/],
    ];
    for (const [d, o, reason] of cases) {
      const plan = planRouterChanges(s, d, o);
      assert.equal(plan.reload, true, String(reason));
      assert.match(plan.reasons.join(), reason);
    }
    // JWT keys are in the config only for apps that use slipway_auth.
    const authed = desired([svc("a", { slipway_auth: { issuer: key.issuer, audiences: ["x"] } })], {
      a: [ep("a1", 1)],
    });
    assert.equal(planRouterChanges(started(one), one, opts(1000, { jwtKeys: [key] })).reload, false);
    const rotated = planRouterChanges(started(authed), authed, opts(1000, { jwtKeys: [key] }));
    assert.deepEqual(
      [rotated.reload, rotated.reasons.join()],
      [true, "configuration changed (CORS policies, JWT keys, TLS, fairness or other settings)"],
    );
    // Keys given in the desired state (fetched at run time) override the render option.
    const withKeys = { ...authed, jwtKeys: [key] };
    const fetched = planRouterChanges(started(authed), withKeys, opts());
    assert.equal(fetched.reload, true);
    assert.match(fetched.config?.config ?? "", /jwt_verify\("RS256","\/k\/k1\.pem"\)/);
    assert.equal(planRouterChanges(fetched.next, withKeys, opts()).reload, false);
  });

  it("renders static sites as the static server's backend, never slots; a new one is a reload", () => {
    const site: AppSpec = { name: "docs", static_sites: [{ name: "site" }] };
    const withSite = {
      ...desired([svc("a"), site], { a: [ep("a1", 1)] }),
      staticSites: [{ app: "docs", component: "site" }],
    };
    const o = { ...opts(), static: { server: { host: "127.0.0.1", port: 9000 } } };
    const plan = planRouterChanges(started(one, o), withSite, o);
    assert.equal(plan.reload, true);
    assert.match(plan.reasons.join(), /configuration changed/);
    assert.match(
      plan.config?.config ?? "",
      /backend docs__site\n {2}http-request set-header x-slipway-site docs\/site/i,
    );
    assert.doesNotMatch(plan.config?.config ?? "", /backend docs__site\n {2}balance/);
    assert.equal(plan.next.placement.docs__site, undefined);
    assert.deepEqual(planRouterChanges(plan.next, withSite, o).runtime, []);
    assert.throws(() => planRouterChanges(undefined, withSite, opts()), /PlanOptions\.static/);
  });
});
