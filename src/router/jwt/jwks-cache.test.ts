import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { describe, it } from "node:test";
import { createJwksCache, type FetchLike, jwkToKey } from "./jwks-cache.js";

const ISSUER = "https://id.example.com/";
const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
const ec = (namedCurve: string) =>
  generateKeyPairSync("ec", { namedCurve }).publicKey.export({ format: "jwk" });

/** A fake issuer: serves discovery and a JWKS it can change; counts requests. */
function fakeIssuer(keys: JsonWebKey[]) {
  const state = { keys, fetches: [] as string[], down: false };
  const fetch: FetchLike = async (url) => {
    state.fetches.push(url);
    if (state.down) throw new Error("connection refused");
    if (url === "https://id.example.com/.well-known/openid-configuration") {
      return {
        ok: true,
        status: 200,
        json: async () => ({ issuer: ISSUER, jwks_uri: "https://id.example.com/keys" }),
      };
    }
    if (url === "https://id.example.com/keys")
      return { ok: true, status: 200, json: async () => ({ keys: state.keys }) };
    return { ok: false, status: 404, json: async () => ({}) };
  };
  return { state, fetch };
}

describe("JWKS cache", () => {
  it("converts RSA and EC JWKs to PEM with their algorithm, and says why others are skipped", () => {
    const r = jwkToKey({ ...rsa(), kid: "r1" });
    assert.ok(typeof r !== "string");
    assert.equal(r.alg, "RS256");
    assert.match(r.pem, /^-----BEGIN PUBLIC KEY-----/);
    const e = jwkToKey({ ...ec("P-384"), kid: "e1", use: "sig" });
    assert.equal(typeof e !== "string" && e.alg, "ES384");
    assert.match(String(jwkToKey({ ...rsa(), kid: "x", use: "enc" })), /use "enc" is not sig/);
    assert.match(String(jwkToKey({ kty: "oct", k: "c2VjcmV0", kid: "h" })), /not supported/);
    assert.match(String(jwkToKey({ ...rsa(), kid: "p", alg: "PS256" })), /not supported/);
    assert.match(String(jwkToKey({ ...ec("P-256"), kid: "c", alg: "ES384" })), /does not fit/);
    assert.match(String(jwkToKey({ ...rsa(), kid: "has space" })), /kid/);
    assert.match(String(jwkToKey({ ...rsa() })), /kid/);
    assert.match(String(jwkToKey({ kty: "RSA", n: "AQAB", e: "AQAB", kid: "tiny" })), /too small/);
    const { x } = ec("P-256");
    assert.match(
      String(jwkToKey({ kty: "EC", crv: "P-256", x, y: x, kid: "off" })),
      /not a valid public key/,
    );
  });

  it("discovers the JWKS, caches it until maxAge, then refetches", async () => {
    const idp = fakeIssuer([{ ...rsa(), kid: "a" }, { kty: "oct", k: "eA", kid: "h" } as JsonWebKey]);
    let now = 0;
    const cache = createJwksCache({ fetch: idp.fetch, now: () => now, maxAgeMs: 1000 });
    const set = await cache.get({ issuer: ISSUER });
    assert.equal(set.jwksUri, "https://id.example.com/keys");
    assert.deepEqual(
      set.keys.map((k) => k.kid),
      ["a"],
    );
    assert.equal(set.skipped.length, 1);
    now = 999;
    await cache.get({ issuer: ISSUER });
    assert.equal(idp.state.fetches.length, 2);
    now = 1000;
    await cache.get({ issuer: ISSUER });
    assert.equal(idp.state.fetches.length, 4);
  });

  it("uses jwks_uri without discovery when the spec names it", async () => {
    const idp = fakeIssuer([{ ...rsa(), kid: "a" }]);
    const cache = createJwksCache({ fetch: idp.fetch, now: () => 0 });
    await cache.get({ issuer: ISSUER, jwksUri: "https://id.example.com/keys" });
    assert.deepEqual(idp.state.fetches, ["https://id.example.com/keys"]);
  });

  it("refetches for an unknown kid, at most once per minIntervalMs", async () => {
    const idp = fakeIssuer([{ ...rsa(), kid: "a" }]);
    let now = 0;
    const cache = createJwksCache({ fetch: idp.fetch, now: () => now, minIntervalMs: 100 });
    await cache.get({ issuer: ISSUER });
    assert.equal(await cache.refreshForKid({ issuer: ISSUER }, "a"), true);
    idp.state.keys = [...idp.state.keys, { ...ec("P-256"), kid: "b" }];
    assert.equal(await cache.refreshForKid({ issuer: ISSUER }, "b"), false, "too soon after the last fetch");
    now = 100;
    assert.equal(await cache.refreshForKid({ issuer: ISSUER }, "b"), true);
    assert.deepEqual(
      (await cache.get({ issuer: ISSUER })).keys.map((k) => k.kid),
      ["a", "b"],
    );
  });

  it("keeps the known keys when a refresh fails, and fails when it never had any", async () => {
    const idp = fakeIssuer([{ ...rsa(), kid: "a" }]);
    let now = 0;
    const cache = createJwksCache({ fetch: idp.fetch, now: () => now, maxAgeMs: 10 });
    await cache.get({ issuer: ISSUER });
    idp.state.down = true;
    now = 50;
    assert.deepEqual(
      (await cache.get({ issuer: ISSUER })).keys.map((k) => k.kid),
      ["a"],
    );
    const other = createJwksCache({ fetch: idp.fetch, now: () => 0 });
    await assert.rejects(other.get({ issuer: ISSUER }), {
      code: "unavailable",
      message: /connection refused/,
    });
  });

  it("refuses a discovery document that names another issuer", async () => {
    const fetch: FetchLike = async () => ({
      ok: true,
      status: 200,
      json: async () => ({ issuer: "https://evil/" }),
    });
    const cache = createJwksCache({ fetch, now: () => 0 });
    await assert.rejects(cache.get({ issuer: ISSUER }), {
      code: "failed_precondition",
      message: /names issuer/,
    });
  });
  it("refresh refetches at once, reports a failed refresh and keeps the keys it had", async () => {
    const idp = fakeIssuer([{ ...rsa(), kid: "a" }]);
    const stale: string[] = [];
    const cache = createJwksCache({
      fetch: idp.fetch,
      now: () => 0,
      onStale: (issuer, err, kept) => stale.push(`${issuer} ${(err as Error).message} ${kept.keys.length}`),
    });
    await assert.rejects(
      createJwksCache({ fetch: async () => Promise.reject(new Error("refused")), now: () => 0 }).refresh({
        issuer: ISSUER,
      }),
      { code: "unavailable" },
    );
    await cache.refresh({ issuer: ISSUER });
    idp.state.keys = [{ ...rsa(), kid: "b" }];
    assert.deepEqual(
      (await cache.refresh({ issuer: ISSUER })).keys.map((k) => k.kid),
      ["b"],
    );
    idp.state.down = true;
    assert.deepEqual(
      (await cache.refresh({ issuer: ISSUER })).keys.map((k) => k.kid),
      ["b"],
    );
    assert.equal(stale.length, 1);
    assert.match(stale[0] ?? "", /connection refused 1$/);
  });
});
