/**
 * JWT-protected services on a real HAProxy: a local OIDC issuer (discovery + JWKS), tokens
 * signed with `jose`, keys turned into PEM files by the JWKS cache, verified by HAProxy before
 * the request reaches the app. A new signing key is accepted after a refresh and a reload.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import {
  createJwksCache,
  type IssuerRef,
  type JwtKey,
  renderHaproxyConfig,
  routeTable,
  writeJwtKeys,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort, startEcho, startHaproxy, type TestHaproxy } from "./helpers/haproxy.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, token?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: "grid.localhost" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer for ${path}`)));
    req.on("error", reject);
    req.end();
  });
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
interface Signer {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: SigningKey;
  jwk: JWK;
}

async function signer(kid: string, alg: "RS256" | "ES256"): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

describe("JWT-protected services on a real HAProxy", { timeout: 60_000 }, () => {
  let dir = "";
  let haproxy: TestHaproxy | undefined;
  const servers: Server[] = [];
  let port = 0;
  let issuer = "";
  let ref: IssuerRef;
  let published: Signer[] = [];
  let k1: Signer;
  let k2: Signer;
  let stranger: Signer;
  const echoPorts: Record<string, number> = {};
  let render: (keys: readonly JwtKey[]) => Promise<void>;
  let place: () => Promise<void>;
  const cache = createJwksCache({ fetch: (url, init) => fetch(url, init), now: Date.now, minIntervalMs: 0 });

  const token = (s: Signer, claims: JWTPayload = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({
      iss: issuer,
      aud: "grid",
      scope: "read:plants openid",
      exp: Math.floor(Date.now() / 1000) + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: s.alg, kid: s.kid, ...header })
      .setIssuedAt()
      .sign(s.privateKey);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-jwt-${process.pid}-`));
    [k1, k2, stranger] = [
      await signer("k1", "RS256"),
      await signer("k2", "ES256"),
      await signer("k9", "RS256"),
    ];
    published = [k1, k2];
    const idp = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === "/jwks") res.end(JSON.stringify({ keys: published.map((s) => s.jwk) }));
      else res.writeHead(404).end("{}");
    });
    idp.listen(0, "127.0.0.1");
    await once(idp, "listening");
    servers.push(idp);
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    ref = { issuer };
    for (const name of ["api", "web"]) {
      const echo = await startEcho(name);
      servers.push(echo.server);
      echoPorts[name] = echo.port;
    }
    port = await freePort();
    const spec: AppSpec = {
      name: "grid",
      services: [
        {
          name: "api",
          http_port: 3000,
          slipway_auth: { issuer, audiences: ["grid", "cli"], scopes: ["read:plants"] },
        },
        { name: "web", http_port: 3001 },
      ],
      ingress: {
        rules: [
          { match: { path: { prefix: "/api" } }, component: { name: "api" } },
          { match: { path: { prefix: "/" } }, component: { name: "web" } },
        ],
      },
    };
    const table = routeTable([{ name: "grid", spec: normalize(spec) }]);
    assert.deepEqual(table.issues, []);
    const statsSocket = join(dir, "haproxy.sock");
    render = async (keys) => {
      const rendered = renderHaproxyConfig(table, {
        httpPort: port,
        statsSocket,
        mapDir: dir,
        slots: 1,
        spareBackends: 0,
        jwtKeys: keys,
      });
      for (const [name, text] of Object.entries(rendered.maps)) await writeFile(join(dir, name), text);
      await writeFile(join(dir, "haproxy.cfg"), rendered.config);
    };
    place = async () => {
      for (const [backend, echo] of [
        ["grid__api", "api"],
        ["grid__web", "web"],
      ] as const) {
        await haproxy?.api.setServer(backend, 1, "127.0.0.1", echoPorts[echo] ?? 0);
        await haproxy?.api.enableServer(backend, 1);
      }
    };
    const { keys } = await writeJwtKeys(join(dir, "keys"), [await cache.get(ref)]);
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg]),
      [
        ["k1", "RS256"],
        ["k2", "ES256"],
      ],
    );
    await render(keys);
    haproxy = await startHaproxy(join(dir, "haproxy.cfg"), statsSocket);
    await place();
  });

  after(async () => {
    await haproxy?.stop();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lets a valid token through, RSA or EC key, aud as a string or an array", async () => {
    const rsa = await get(port, "/api/plants", await token(k1));
    assert.equal(rsa.status, 200, rsa.body);
    assert.equal(rsa.body, "api /plants");
    assert.equal((await get(port, "/api/x", await token(k2))).status, 200);
    assert.equal((await get(port, "/api/x", await token(k1, { aud: ["other", "cli"] }))).status, 200);
  });

  it("leaves unprotected components alone", async () => {
    assert.equal((await get(port, "/home")).body, "web /home");
  });

  it("answers no token with 401 and a bare Bearer challenge", async () => {
    const reply = await get(port, "/api/x");
    assert.equal(reply.status, 401);
    assert.equal(reply.headers["www-authenticate"], `Bearer realm="${issuer}"`);
  });

  const invalid: [string, () => Promise<string>][] = [
    ["an expired token", () => token(k1, { exp: Math.floor(Date.now() / 1000) - 10 })],
    ["a token not valid yet", () => token(k1, { nbf: Math.floor(Date.now() / 1000) + 600 })],
    [
      "a token without exp",
      () =>
        new SignJWT({ iss: issuer, aud: "grid", scope: "read:plants" })
          .setProtectedHeader({ alg: "RS256", kid: "k1" })
          .sign(k1.privateKey),
    ],
    ["a wrong audience", () => token(k1, { aud: "someone-else" })],
    ["a wrong audience array", () => token(k1, { aud: ["a", "b"] })],
    ["a wrong issuer", () => token(k1, { iss: "https://evil.example/" })],
    ["a key the issuer does not publish", () => token(stranger)],
    ["a known kid on a foreign signature", () => token(stranger, {}, { kid: "k1" })],
    [
      "alg none",
      async () =>
        new UnsecuredJWT({ iss: issuer, aud: "grid", scope: "read:plants", exp: 4_000_000_000 }).encode(),
    ],
    [
      "alg none with a known kid",
      async () => {
        const [, payload] = (await token(k1)).split(".");
        const header = Buffer.from(JSON.stringify({ alg: "none", kid: "k1" })).toString("base64url");
        return `${header}.${payload}.`;
      },
    ],
    ["a garbage token", async () => "not-a-jwt"],
    ["a token with a mangled signature", async () => `${(await token(k1)).slice(0, -4)}AAAA`],
  ];
  for (const [name, make] of invalid) {
    it(`answers ${name} with 401 invalid_token`, async () => {
      const reply = await get(port, "/api/x", await make());
      assert.equal(reply.status, 401, reply.body);
      assert.equal(reply.headers["www-authenticate"], `Bearer realm="${issuer}", error="invalid_token"`);
    });
  }

  it("answers a token without the required scope with 403 insufficient_scope", async () => {
    for (const scope of ["openid", "read:plants2", "xread:plants"]) {
      const reply = await get(port, "/api/x", await token(k1, { scope }));
      assert.equal(reply.status, 403, scope);
      assert.match(
        String(reply.headers["www-authenticate"]),
        /error="insufficient_scope", scope="read:plants"/,
      );
    }
  });

  it("accepts a new signing key after the JWKS is refreshed and HAProxy reloaded", async () => {
    assert.ok(haproxy);
    const k3 = await signer("k3", "ES256");
    const fresh = await token(k3);
    published = [k2, k3];
    assert.equal((await get(port, "/api/x", fresh)).status, 401);
    assert.equal(await cache.refreshForKid(ref, "k3"), true);
    const { keys, changed } = await writeJwtKeys(join(dir, "keys"), [await cache.get(ref)]);
    assert.equal(changed, true);
    await render(keys);
    await haproxy.reload();
    await place();
    assert.equal((await get(port, "/api/x", fresh)).status, 200);
    // k1 was retired by the issuer: its tokens stop working.
    assert.equal((await get(port, "/api/x", await token(k1))).status, 401);
    assert.equal((await get(port, "/api/x", await token(k2))).status, 200);
  });
});
