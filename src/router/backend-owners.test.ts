import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backendOwners } from "./backend-owners.js";

describe("backendOwners", () => {
  const ownerOf = backendOwners({
    placement: { shop__web: "shop__web", blog__api: "spare__1", "a-b__c-d": "a-b__c-d" },
  });

  it("maps own backends, and spares to the component placed on them", () => {
    assert.deepEqual(ownerOf("shop__web"), { app: "shop", component: "web" });
    assert.deepEqual(ownerOf("spare__1"), { app: "blog", component: "api" });
    assert.deepEqual(ownerOf("a-b__c-d"), { app: "a-b", component: "c-d" });
  });

  it("maps static-site backends (not in the placement) by their name", () => {
    assert.deepEqual(ownerOf("docs__site"), { app: "docs", component: "site" });
  });

  it("answers nobody for free spares, the frontend, and a backend whose component moved", () => {
    assert.equal(ownerOf("spare__0"), undefined);
    assert.equal(ownerOf("slipway"), undefined);
    assert.equal(ownerOf("blog__api"), undefined);
  });
});
