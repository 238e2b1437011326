import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type AppSpec, normalize } from "../../spec/index.js";
import { type HaproxyConfigOptions, renderHaproxyConfig } from "../haproxy-config.js";
import { routeTable } from "../route-table.js";

// Tests run from dist/; the reviewed snapshots live beside the source.
function assertSnapshot(name: string, rendered: string): void {
  const file = fileURLToPath(new URL(`../../../../src/router/__snapshots__/${name}.snap`, import.meta.url));
  if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(file, rendered);
  assert.ok(existsSync(file), `no snapshot at ${file}; run with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(rendered, readFileSync(file, "utf8"));
}

const shop: AppSpec = {
  name: "shop",
  domains: [{ domain: "shop.example.com" }],
  services: [{ name: "web", http_port: 8080 }],
};
const table = routeTable([{ name: "shop", spec: normalize(shop) }]);
const base: HaproxyConfigOptions = {
  httpPort: 80,
  statsSocket: "/run/slipway/haproxy.sock",
  mapDir: "/var/lib/slipway/router",
  spareBackends: 0,
  tls: { httpsPort: 443, crtList: "/var/lib/slipway/router/crt-list.txt", redirectHttp: true },
};
const acme = { responder: { addr: "127.0.0.1", port: 8402 } };

describe("renderHaproxyConfig with ACME", () => {
  const withAcme = renderHaproxyConfig(table, { ...base, acme }).config;
  const without = renderHaproxyConfig(table, base).config;

  it("renders the snapshotted configuration", () => {
    assertSnapshot("haproxy-acme.cfg", withAcme);
  });

  it("adds only the challenge acl, its route, the redirect exception and the backend", () => {
    const added = withAcme.split("\n").filter((l) => !without.split("\n").includes(l));
    assert.deepEqual(added, [
      "  acl acme_challenge path_beg /.well-known/acme-challenge/",
      "  http-request set-var(txn.route) str(B||_acme_challenge|0|) if acme_challenge",
      "  http-request redirect location https://%[req.hdr(host),field(1,:),lower]%[url] code 308 if !{ ssl_fc } !acme_challenge",
      "backend _acme_challenge",
      "  server responder 127.0.0.1:8402",
    ]);
  });

  it("routes challenges after the map lookups and before the 404 for unknown hosts", () => {
    const lines = withAcme.split("\n");
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    assert.ok(at("map_beg(") < at("str(B||_acme_challenge"));
    assert.ok(at("str(B||_acme_challenge") < at("No app is routed here"));
  });

  it("brackets an IPv6 responder address", () => {
    const v6 = renderHaproxyConfig(table, { ...base, acme: { responder: { addr: "::1", port: 8402 } } });
    assert.match(v6.config, /server responder \[::1\]:8402\n/);
  });

  it("changes nothing without the option", () => {
    assert.doesNotMatch(without, /acme/);
  });
});
