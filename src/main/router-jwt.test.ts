import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type FetchLike, routeTable } from "../router/index.js";
import { normalize } from "../spec/index.js";
import { createRouterJwt, issuersOf } from "./router-jwt.js";

const ISSUER = "https://id.example.com/";
const table = routeTable([
  {
    name: "api",
    spec: normalize({
      name: "api",
      services: [
        {
          name: "web",
          http_port: 3000,
          slipway_auth: { issuer: ISSUER, jwks_uri: "https://id.example.com/keys", audiences: ["a"] },
        },
      ],
    }),
  },
]);
const jwk = (kid: string): JsonWebKey => ({
  ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }),
  kid,
});

/** An issuer that is down until `up` and serves `keys`. */
function issuer() {
  const state = { up: false, keys: [jwk("k1")] };
  const fetch: FetchLike = async () => {
    if (!state.up) throw new Error("connect ECONNREFUSED");
    return { ok: true, status: 200, json: async () => ({ keys: state.keys }) };
  };
  return { state, fetch };
}

describe("router JWT keys", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const dataDir = async () => {
    const d = await mkdtemp(join(tmpdir(), `slipway-jwt-${process.pid}-`));
    dirs.push(d);
    return d;
  };

  it("names the issuers of protected backends only", () => {
    assert.deepEqual(issuersOf(table), [{ issuer: ISSUER, jwksUri: "https://id.example.com/keys" }]);
  });

  it("fails closed for an issuer never reached, then picks its keys up and says so", async () => {
    const idp = issuer();
    const logs: string[] = [];
    let changed = 0;
    let now = 0;
    const jwt = createRouterJwt({
      dataDir: await dataDir(),
      fetch: idp.fetch,
      now: () => now,
      refreshMs: 3_600_000,
      log: (m) => logs.push(m),
      onKeysChanged: () => changed++,
    });
    try {
      assert.deepEqual(await jwt.keys(table), []);
      assert.match(
        logs[0] ?? "",
        /issuer https:\/\/id\.example\.com\/ could not be fetched .*ECONNREFUSED.*401/,
      );
      idp.state.up = true;
      // Not retried at once (an unreachable issuer is not hammered on every router change)...
      assert.deepEqual(await jwt.keys(table), []);
      now = 30_000;
      // ...but after the retry interval, in the background.
      await jwt.keys(table);
      await waitUntil(() => changed === 1);
      const keys = await jwt.keys(table);
      assert.deepEqual(
        keys.map((k) => [k.issuer, k.kid, k.alg]),
        [[ISSUER, "k1", "ES256"]],
      );
    } finally {
      jwt.stop();
    }
  });

  it("refreshes on its interval: a rotation is a change, the same keys are not, an outage keeps them", async () => {
    const idp = issuer();
    idp.state.up = true;
    const logs: string[] = [];
    let changed = 0;
    const dir = await dataDir();
    const jwt = createRouterJwt({
      dataDir: dir,
      fetch: idp.fetch,
      refreshMs: 20,
      log: (m) => logs.push(m),
      onKeysChanged: () => changed++,
    });
    try {
      assert.deepEqual(
        (await jwt.keys(table)).map((k) => k.kid),
        ["k1"],
      );
      const first = changed;
      idp.state.keys = [jwk("k2")];
      await waitUntil(() => changed === first + 1);
      assert.deepEqual(
        (await jwt.keys(table)).map((k) => k.kid),
        ["k2"],
      );
      assert.equal((await readdir(join(dir, "router", "jwt-keys"))).length, 1);
      idp.state.up = false;
      await waitUntil(() => logs.some((l) => /could not be refreshed .* keeping the 1 keys/.test(l)));
      assert.deepEqual(
        (await jwt.keys(table)).map((k) => k.kid),
        ["k2"],
      );
      assert.equal(changed, first + 1);
    } finally {
      jwt.stop();
    }
  });
});

/** Polls `check` every 5 ms (5 s at most). */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), "condition never held");
}
