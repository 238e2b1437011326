/**
 * `slipway_auth` through the real `slipway server` (ADR 0020): a local OIDC issuer (discovery +
 * JWKS over HTTP on loopback, keys made with `jose`), an app built from inline files whose
 * service names it. HAProxy verifies tokens on the HTTP and the HTTPS port: a good token reaches
 * the app; a missing, expired, wrongly addressed or foreign-signed token is 401, a missing scope
 * 403. The issuer rotates its key and the server, refreshing every second (`--jwks-refresh 1`),
 * accepts the new key after a seamless reload; an issuer never reached leaves its service
 * answering 401 (fail closed). Needs root (gVisor).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { HELLO_FILES } from "./helpers/hello-app.js";
import { httpsGet } from "./helpers/https-get.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
interface Signer {
  kid: string;
  privateKey: SigningKey;
  jwk: JWK;
}

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** GET / over plain HTTP through the router as `host`, with a bearer token if given. */
function get(port: number, host: string, token?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = request({ host: "127.0.0.1", port, path: "/", headers, agent: false }, (res) => {
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
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${host}`)));
    req.on("error", reject);
    req.end();
  });
}

const AUDIENCE = "https://api.plants.test";

describe("slipway_auth through slipway server", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-server-jwt-${process.pid}-`));
  const dataDir = join(dir, "data");
  let server: ServerProcess;
  let client: Client;
  let idp: Server | undefined;
  let issuer = "";
  let published: Signer[] = [];
  let k1: Signer;
  let k2: Signer;
  let stranger: Signer;

  const token = (s: Signer, claims: JWTPayload = {}) =>
    new SignJWT({
      iss: issuer,
      aud: AUDIENCE,
      scope: "openid read:plants",
      exp: Math.floor(Date.now() / 1000) + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", kid: s.kid })
      .sign(s.privateKey);

  const host = (app: string) => `${app}.localhost:${server.httpPort}`;

  /** Creates `app` protected by `authIssuer` and waits until it is ACTIVE and routed. */
  async function deploy(app: string, authIssuer: string): Promise<void> {
    const spec: AppSpec = {
      name: app,
      services: [
        {
          name: "web",
          http_port: 8080,
          instance_count: 1,
          slipway_auth: { issuer: authIssuer, audiences: [AUDIENCE], scopes: ["read:plants"] },
        },
      ],
    };
    await client.createApp({ body: { spec, source: { files: HELLO_FILES } } });
    let last: DeploymentJson | undefined;
    await waitFor(
      async () => {
        last = (await client.listDeployments({ params: { app }, query: {} })).deployments[0];
        return last !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(last.phase);
      },
      300_000,
      `${app} to be deployed`,
    );
    assert.equal(last?.phase, "ACTIVE", JSON.stringify(last?.progress));
    // Routed: HAProxy answers for the host itself (401 without a token), no longer 404.
    await waitFor(
      async () => (await get(server.httpPort, host(app))).status === 401,
      60_000,
      `${app} routed`,
    );
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    [k1, k2, stranger] = [await signer("k1"), await signer("k2"), await signer("k1")];
    published = [k1];
    const server0 = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration")
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}jwks` }));
      else if (req.url === "/jwks") res.end(JSON.stringify({ keys: published.map((s) => s.jwk) }));
      else res.writeHead(404).end("{}");
    });
    server0.listen(0, "127.0.0.1");
    await once(server0, "listening");
    idp = server0;
    issuer = `http://127.0.0.1:${(server0.address() as AddressInfo).port}/`;
    await sharedTestStack();
    server = await startServer(dataDir, [
      "--stacks-dir",
      TEST_STACK_ROOT,
      "--jwks-refresh",
      "1",
      "--verbose",
    ]);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
    });
    await deploy("plants", issuer);
  });

  after(async () => {
    await server?.stop();
    idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets a valid token through on HTTP and HTTPS; the app receives the Authorization header", async () => {
    const good = await token(k1);
    await waitFor(
      async () => (await get(server.httpPort, host("plants"), good)).status === 200,
      30_000,
      "200",
    );
    assert.equal((await get(server.httpPort, host("plants"), good)).body, "hello http auth=yes\n");
    const ca = await slipway(["ca", "export", "--data-dir", dataDir], { HOME: dir });
    assert.equal(ca.code, 0, ca.stderr);
    const secure = await httpsGet(server.httpsPort, "plants.localhost", {
      ca: ca.stdout,
      headers: { authorization: `Bearer ${good}` },
    });
    assert.equal(secure.status, 200);
    assert.equal(secure.body, "hello https auth=yes\n");
    const none = await httpsGet(server.httpsPort, "plants.localhost", { ca: ca.stdout });
    assert.equal(none.status, 401);
  });

  it("refuses missing, expired, foreign-audience and foreign-signed tokens (401) and a missing scope (403)", async () => {
    const missing = await get(server.httpPort, host("plants"));
    assert.equal(missing.status, 401);
    assert.equal(missing.headers["www-authenticate"], `Bearer realm="${issuer}"`);
    const cases: [string, string][] = [
      ["expired", await token(k1, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ["wrong audience", await token(k1, { aud: "https://other.test" })],
      ["wrong issuer", await token(k1, { iss: "https://evil.test/" })],
      ["same kid, another key", await token(stranger)],
    ];
    for (const [what, t] of cases) {
      const r = await get(server.httpPort, host("plants"), t);
      assert.equal(r.status, 401, what);
      assert.match(String(r.headers["www-authenticate"]), /error="invalid_token"/, what);
      assert.doesNotMatch(r.body, /hello/, what);
    }
    const noScope = await get(server.httpPort, host("plants"), await token(k1, { scope: "openid" }));
    assert.equal(noScope.status, 403);
    assert.match(String(noScope.headers["www-authenticate"]), /insufficient_scope/);
  });

  it("accepts a rotated key within the refresh window and drops the retired one", async () => {
    const next = await token(k2);
    assert.equal((await get(server.httpPort, host("plants"), next)).status, 401, "k2 is not published yet");
    published = [k1, k2];
    const rotated = performance.now();
    await waitFor(
      async () => (await get(server.httpPort, host("plants"), next)).status === 200,
      30_000,
      "the new key to be accepted",
    );
    process.stdout.write(
      `# new key accepted ${Math.round(performance.now() - rotated)} ms after it was published (refresh 1 s + reload)\n`,
    );
    published = [k2];
    const old = await token(k1);
    await waitFor(
      async () => (await get(server.httpPort, host("plants"), old)).status === 401,
      30_000,
      "the retired key to be refused",
    );
    assert.equal((await get(server.httpPort, host("plants"), next)).status, 200);
  });

  it("keeps the last good keys while the issuer is down", async () => {
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
    await waitFor(
      () => /JWKS of issuer .* could not be refreshed .*keeping the 1 keys/.test(server.stderr()),
      30_000,
      "the failed refresh to be logged",
    );
    assert.equal((await get(server.httpPort, host("plants"), await token(k2))).status, 200);
  });

  it("fails closed for an issuer never reached: every request is 401", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/`;
    await deploy("locked", closed);
    // A token that would be valid for that issuer, were its keys known.
    const t = await new SignJWT({ iss: closed, aud: AUDIENCE, scope: "read:plants" })
      .setProtectedHeader({ alg: "ES256", kid: k2.kid })
      .setExpirationTime("5m")
      .sign(k2.privateKey);
    const r = await get(server.httpPort, host("locked"), t);
    assert.equal(r.status, 401);
    assert.match(String(r.headers["www-authenticate"]), /invalid_token/);
    // The server's stderr arrives through a pipe, possibly after the HTTP answer: wait for it.
    const said =
      /JWKS of issuer http:\/\/127\.0\.0\.1:\d+\/ could not be fetched .*answer 401 to every request/;
    await waitFor(() => said.test(server.stderr()), 10_000, "the server to log the unreachable issuer");
  });
});
