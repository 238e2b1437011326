import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAcmeHost, issuerByHost } from "./acme-hosts.js";
import type { IssuedCertificate } from "./ca.js";

describe("isAcmeHost", () => {
  it("sends custom public domains to ACME", () => {
    assert.equal(isAcmeHost("shop.example.com", "apps.example.net"), true);
    assert.equal(isAcmeHost("Shop.Example.com.", "localhost"), true);
    assert.equal(isAcmeHost("example.com", "apps.example.com"), true, "a parent of the base is not under it");
  });

  it("keeps the base domain, its subdomains and special-use names on the local CA", () => {
    assert.equal(isAcmeHost("shop.apps.example.net", "apps.example.net"), false);
    assert.equal(isAcmeHost("apps.example.net", "apps.example.net"), false);
    assert.equal(isAcmeHost("shop.localhost", "localhost"), false);
    for (const host of ["a.test", "printer.local", "x.example", "bad.invalid", "svc.internal", "localhost"]) {
      assert.equal(isAcmeHost(host, "apps.example.net"), false, host);
    }
    assert.equal(isAcmeHost("notapps.example.net", "apps.example.net"), true, "suffix match is per label");
  });
});

describe("issuerByHost", () => {
  it("calls the ACME issuer for custom domains and the local one for the rest", async () => {
    const fake = (by: string) => async (host: string) => ({ host, certPem: by }) as IssuedCertificate;
    const issue = issuerByHost({ acme: fake("acme"), local: fake("local"), baseDomain: "apps.example.net" });
    assert.equal((await issue("shop.example.com")).certPem, "acme");
    assert.equal((await issue("shop.apps.example.net")).certPem, "local");
  });
});
