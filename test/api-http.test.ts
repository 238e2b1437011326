import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  type ApiServer,
  bootstrapAdmin,
  createClient,
  type ErrorJson,
  MAX_BODY_BYTES,
  type Role,
  routes,
  startApiServer,
} from "../src/api/index.js";
import { isErrorCode } from "../src/resources/index.js";
import {
  type ApiFixture,
  createApiFixture,
  type RequestOptions,
  ROLES,
  requestInit,
  specNamed,
  tokenOf,
} from "./helpers/api-fixture.js";

describe("API over HTTP", () => {
  let f: ApiFixture;
  let server: ApiServer;
  const send = (method: string, path: string, options?: RequestOptions) =>
    fetch(server.url + path, requestInit(method, options));

  before(async () => {
    f = await createApiFixture();
    server = await startApiServer({ app: f.api, host: "127.0.0.1", port: 0 });
    // One app per team, created by its owner, for the read/write/delete checks.
    for (const team of ["team-a", "team-b"]) {
      for (const name of ["base", `only-${team}`]) {
        const res = await send("POST", "/v1/apps", {
          token: tokenOf(f, team, "owner"),
          body: { spec: specNamed(name) },
        });
        assert.equal(res.status, 201);
      }
    }
  });
  after(async () => {
    await server.close();
    await f.close();
  });

  it("answers 401 with WWW-Authenticate: Bearer without a token or with a wrong one", async () => {
    for (const token of [undefined, "slw_nope.secret", `${tokenOf(f, "team-a", "owner")}x`]) {
      const res = await send("GET", "/v1/apps", token === undefined ? {} : { token });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal(((await res.json()) as ErrorJson).id, "unauthenticated");
    }
  });

  describe("authorization matrix: 3 roles x 2 teams", () => {
    const expected: Record<Role, { read: number; write: number; del: number; token: number; audit: number }> =
      {
        owner: { read: 200, write: 201, del: 200, token: 201, audit: 200 },
        member: { read: 200, write: 201, del: 200, token: 403, audit: 403 },
        viewer: { read: 200, write: 403, del: 403, token: 403, audit: 403 },
      };
    for (const team of ["team-a", "team-b"]) {
      const other = team === "team-a" ? "team-b" : "team-a";
      for (const role of ROLES) {
        it(`${role} of ${team}: own team as designed, other team's apps are 404`, async () => {
          const token = tokenOf(f, team, role);
          const want = expected[role];
          const app = `m-${role}`;
          // The owner seeds each role's app so deletes have something to act on.
          await send("POST", "/v1/apps", {
            token: tokenOf(f, team, "owner"),
            body: { spec: specNamed(app) },
          });
          assert.equal((await send("GET", "/v1/apps/base", { token })).status, want.read);
          const list = (await (await send("GET", "/v1/apps", { token })).json()) as {
            apps: { spec: { name: string } }[];
          };
          const names = list.apps.map((a) => a.spec.name);
          assert.ok(names.includes(`only-${team}`) && !names.includes(`only-${other}`), names.join());
          const created = await send("POST", `/v1/apps/${app}/deployments`, { token });
          assert.equal(created.status, want.write);
          const tokenRes = await send("POST", "/v1/tokens", {
            token,
            body: { role: "viewer", user: `x-${role}` },
          });
          assert.equal(tokenRes.status, want.token);
          assert.equal((await send("GET", "/v1/audit", { token })).status, want.audit);
          assert.equal((await send("DELETE", `/v1/apps/${app}`, { token })).status, want.del);
          // The other team: nothing is revealed, whatever the role.
          assert.equal((await send("GET", `/v1/apps/only-${other}`, { token })).status, 404);
          const otherBase = await f.store.get("App", { namespace: other, name: "base" });
          for (const [method, path] of [
            ["GET", `/v1/apps/${otherBase.metadata.uid}`],
            ["POST", `/v1/apps/${otherBase.metadata.uid}/deployments`],
            ["DELETE", `/v1/apps/${otherBase.metadata.uid}`],
          ] as const) {
            const res = await send(method, path, { token });
            const denied = role === "viewer" && method !== "GET" ? 403 : 404;
            assert.equal(res.status, denied, `${method} ${path}`);
          }
          const crossToken = await send("POST", "/v1/tokens", {
            token,
            body: { team: other, role: "owner", user: "x" },
          });
          assert.equal(crossToken.status, role === "owner" ? 404 : 403);
        });
      }
    }
  });

  it("answers 413 for a chunked body over 1 MiB, reading no further than the limit", async () => {
    const token = tokenOf(f, "team-a", "owner");
    const url = new URL(`${server.url}/v1/apps`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 32);
      let written = 0;
      const pump = () => {
        // Keep sending (up to 4 MiB) until the server answers.
        while (written < 4 * MAX_BODY_BYTES) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
  });

  it("serves an OpenAPI 3.1 document with every route of the table", async () => {
    const res = await fetch(`${server.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const [name, route] of Object.entries(routes)) {
      assert.equal(doc.paths[route.path]?.[route.method.toLowerCase()]?.operationId, name, name);
    }
    const components = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components
      .schemas;
    for (const [, ref] of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(ref !== undefined && ref in components, `unresolved $ref ${ref}`);
    }
  });

  it("round-trips through the typed client: create an app, deploy, list deployments", async () => {
    const client = createClient({ baseUrl: server.url, token: tokenOf(f, "team-a", "member") });
    const { app } = await client.createApp({ body: { spec: specNamed("viaclient") } });
    assert.equal(app.spec.name, "viaclient");
    const { deployment } = await client.createDeployment({ params: { app: app.id }, body: {} });
    const { deployments } = await client.listDeployments({ params: { app: "viaclient" } });
    assert.deepEqual(
      deployments.map((d) => d.id),
      [deployment.id],
    );
    await assert.rejects(client.createApp({ body: { spec: specNamed("viaclient") } }), (err) =>
      isErrorCode(err, "already_exists"),
    );
  });

  it("streams an ADDED event for a deployment created while watching", async () => {
    const client = createClient({ baseUrl: server.url, token: tokenOf(f, "team-a", "owner") });
    await client.createApp({ body: { spec: specNamed("watched") } });
    const abort = new AbortController();
    const events = client.watch("listDeployments", { params: { app: "watched" } }, abort.signal);
    const iterator = events[Symbol.asyncIterator]();
    const next = iterator.next();
    const { deployment } = await client.createDeployment({ params: { app: "watched" }, body: {} });
    const first = await next;
    abort.abort();
    assert.equal(first.done, false);
    assert.equal(first.value?.type, "ADDED");
    assert.equal(first.value?.object.id, deployment.id);
    await iterator.return?.();
  });

  it("records audit entries for failures too, including unauthenticated calls, for the admin", async () => {
    await send("POST", "/v1/apps", { body: { spec: specNamed("anon") } });
    await send("DELETE", "/v1/apps/base", { token: tokenOf(f, "team-b", "viewer") });
    const res = await send("GET", "/v1/audit", { token: f.adminToken });
    const { entries } = (await res.json()) as {
      entries: { actor: string; result: number; action: string; team: string }[];
    };
    assert.ok(entries.some((e) => e.actor === "anonymous" && e.result === 401));
    assert.ok(
      entries.some((e) => e.actor === "viewer@team-b" && e.result === 403 && e.action === "deleteApp"),
    );
    assert.ok(new Set(entries.map((e) => e.team)).size >= 3);
  });

  it("bootstrapAdmin writes the token with mode 0600 and creates no second token on restart", async () => {
    const mode = (await stat(f.adminTokenPath)).mode & 0o777;
    assert.equal(mode, 0o600);
    const before = (await f.store.list("Token", { namespace: "slipway-system" })).items.length;
    const again = await bootstrapAdmin({ store: f.store, dataDir: f.dir });
    assert.equal(again, f.adminTokenPath);
    assert.equal((await f.store.list("Token", { namespace: "slipway-system" })).items.length, before);
    assert.equal((await send("GET", "/v1/apps", { token: f.adminToken })).status, 200);
  });
});
