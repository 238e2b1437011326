import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalize } from "../../spec/index.js";
import { routeTable } from "../route-table.js";
import { jwtLines, MAX_AUDIENCES } from "./jwt-config.js";

const auth = { issuer: "https://id.example.com/", audiences: ["grid", "cli"], scopes: ["read:plants"] };
const table = routeTable([
  {
    name: "grid",
    spec: normalize({
      name: "grid",
      services: [
        { name: "api", http_port: 3000, slipway_auth: auth },
        { name: "admin", http_port: 3001, slipway_auth: { ...auth, scopes: [] } },
        { name: "web", http_port: 3002 },
      ],
      ingress: {
        rules: [
          { match: { path: { prefix: "/api" } }, component: { name: "api" } },
          { match: { path: { prefix: "/admin" } }, component: { name: "admin" } },
          { match: { path: { prefix: "/" } }, component: { name: "web" } },
        ],
      },
    }),
  },
]);
const keys = [
  { issuer: auth.issuer, kid: "k1", alg: "RS256" as const, file: "/keys/k1.pem" },
  { issuer: "https://other.example.com/", kid: "k2", alg: "ES256" as const, file: "/keys/k2.pem" },
];

describe("JWT lines", () => {
  it("renders nothing when no backend is protected", () => {
    const open = routeTable([
      { name: "a", spec: normalize({ name: "a", services: [{ name: "w", http_port: 1 }] }) },
    ]);
    assert.deepEqual(jwtLines(open, keys), []);
  });

  it("carries slipway_auth into the route table's backends", () => {
    assert.deepEqual(
      table.backends.map((b) => [b.name, b.auth?.scopes]),
      [
        ["grid__admin", []],
        ["grid__api", ["read:plants"]],
        ["grid__web", undefined],
      ],
    );
  });

  it("gives each distinct policy its backends, its issuer's keys only, and one 403 per scope", () => {
    const lines = jwtLines(table, keys);
    assert.ok(lines.includes("  acl auth_j0 var(txn.be) -m str grid__admin"));
    assert.ok(lines.includes("  acl auth_j1 var(txn.be) -m str grid__api"));
    const verify = lines.filter((l) => l.includes("jwt_verify("));
    assert.deepEqual(verify, [
      '  http-request set-var(txn.jwt_ok) var(txn.jwt),jwt_verify("RS256","/keys/k1.pem") if auth_j0 { var(txn.jwt_kid) -m str k1 } { var(txn.jwt_alg) -m str RS256 }',
      '  http-request set-var(txn.jwt_ok) var(txn.jwt),jwt_verify("RS256","/keys/k1.pem") if auth_j1 { var(txn.jwt_kid) -m str k1 } { var(txn.jwt_alg) -m str RS256 }',
    ]);
    assert.equal(lines.filter((l) => l.startsWith("  acl aud_j1 ")).length, MAX_AUDIENCES + 1);
    assert.ok(lines.some((l) => l.startsWith("  acl aud_j1 ") && l.endsWith("-m str grid cli")));
    const forbidden = lines.filter((l) => l.includes("status 403"));
    assert.equal(forbidden.length, 1);
    assert.match(forbidden[0] ?? "", /if auth_j1 !\{ var\(txn.jwt_scopes\) -m sub " read:plants " \}$/);
    assert.equal(lines.filter((l) => l.includes("status 401")).length, 12);
  });
});
