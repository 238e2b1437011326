import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalize } from "../../spec/index.js";
import { routeTable } from "../route-table.js";
import { certificateHosts, nextRenewal, planCertificates, RENEW_BEFORE_MS } from "./plan.js";

const DAY = 86_400_000;
const table = routeTable([
  {
    name: "shop",
    spec: normalize({
      name: "shop",
      domains: [{ domain: "Shop.Example.com." }],
      services: [{ name: "web", http_port: 3000 }],
    }),
  },
  { name: "blog", spec: normalize({ name: "blog", services: [{ name: "web", http_port: 3000 }] }) },
]);

describe("certificate plan", () => {
  it("needs one certificate per routed host, custom domains included, no wildcard", () => {
    assert.deepEqual(certificateHosts(table), {
      hosts: ["blog.localhost", "shop.example.com", "shop.localhost"],
      issues: [],
    });
  });

  it("issues for hosts without one, renews those within the renewal window, removes unrouted ones", () => {
    const now = new Date("2026-11-22T00:00:00Z");
    const plan = planCertificates(
      table,
      [
        { host: "blog.localhost", notAfter: new Date(now.getTime() + 20 * DAY) },
        { host: "shop.localhost", notAfter: new Date(now.getTime() + 9 * DAY) },
        { host: "gone.localhost", notAfter: new Date(now.getTime() + 20 * DAY) },
      ],
      now,
    );
    assert.deepEqual(plan, {
      issue: ["shop.example.com"],
      renew: ["shop.localhost"],
      remove: ["gone.localhost"],
      issues: [],
    });
  });

  it("renews an expired certificate and nothing at the exact boundary", () => {
    const now = new Date("2026-11-22T00:00:00Z");
    const held = [
      { host: "blog.localhost", notAfter: new Date(now.getTime() - DAY) },
      { host: "shop.localhost", notAfter: new Date(now.getTime() + RENEW_BEFORE_MS) },
      { host: "shop.example.com", notAfter: new Date(now.getTime() + 30 * DAY) },
    ];
    assert.deepEqual(planCertificates(table, held, now).renew, ["blog.localhost"]);
    assert.deepEqual(nextRenewal(held), new Date(now.getTime() - DAY - RENEW_BEFORE_MS));
    assert.equal(nextRenewal([]), undefined);
  });

  it("reports hosts that are not DNS names instead of issuing for them", () => {
    const odd = { hosts: [{ host: "bad_host.localhost", rules: [] }], backends: [], issues: [] };
    assert.deepEqual(planCertificates(odd, [], new Date()), {
      issue: [],
      renew: [],
      remove: [],
      issues: ["bad_host.localhost: not a DNS name; no certificate issued"],
    });
  });
});
