import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { type ApiFixture, createApiFixture, specNamed, tokenOf } from "../../test/helpers/api-fixture.js";
import type { Deployment } from "../resources/index.js";
import { SYSTEM_NAMESPACE, type TeamResource } from "./auth.js";
import { bootstrapAdmin } from "./bootstrap-admin.js";
import { MAX_BODY_BYTES } from "./read-body.js";
import type { AppJson, AuditEntryJson, DeploymentJson, ErrorJson } from "./schemas.js";

describe("createApi in-process", () => {
  let f: ApiFixture;
  let owner: string;
  before(async () => {
    f = await createApiFixture();
    owner = tokenOf(f, "team-a", "owner");
  });
  after(() => f.close());

  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

  it("answers GET /v1/node with unavailable when the API runs without a node", async () => {
    const res = await f.request("GET", "/v1/node", { token: tokenOf(f, "team-a", "viewer") });
    assert.equal(res.status, 503);
    assert.match((await json<ErrorJson>(res)).message, /without a node/);
  });

  it("creates an app and gets it by name and by id", async () => {
    const created = await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("shop") } });
    assert.equal(created.status, 201);
    const { app } = await json<{ app: AppJson }>(created);
    assert.equal(app.spec.name, "shop");
    assert.equal(app.default_ingress, "http://shop.apps.test");
    for (const key of ["shop", app.id]) {
      const got = await f.request("GET", `/v1/apps/${key}`, { token: owner });
      assert.equal(got.status, 200);
      assert.equal((await json<{ app: AppJson }>(got)).app.id, app.id);
    }
  });

  it("answers 409 already_exists for a taken name in the same team, with the name's path", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("dup") } });
    const again = await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("dup") } });
    assert.equal(again.status, 409);
    const body = await json<ErrorJson>(again);
    assert.equal(body.id, "already_exists");
    assert.equal(body.details[0]?.path, "name");
  });

  it("allows the same app name in another team", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("same") } });
    const other = await f.request("POST", "/v1/apps", {
      token: tokenOf(f, "team-b", "member"),
      body: { spec: specNamed("same") },
    });
    assert.equal(other.status, 201);
  });

  it("returns every spec error with its path and writes nothing", async () => {
    const spec = { name: "bad", services: [{ name: "web", http_port: 70000 }] };
    const res = await f.request("POST", "/v1/apps", { token: owner, body: { spec } });
    assert.equal(res.status, 400);
    const body = await json<ErrorJson>(res);
    assert.equal(body.id, "invalid_argument");
    const paths = body.details.map((d) => d.path);
    assert.ok(paths.includes("services[0].http_port"), paths.join());
    assert.ok(paths.includes("services[0]"), paths.join());
    assert.equal((await f.request("GET", "/v1/apps/bad", { token: owner })).status, 404);
  });

  it("accepts a YAML spec and reports YAML errors with line and column", async () => {
    const yaml = "name: yml\nservices:\n  - name: web\n    git:\n      repo_clone_url: https://e.com/r.git\n";
    const ok = await f.request("POST", "/v1/apps", {
      token: owner,
      body: yaml,
      headers: { "content-type": "application/yaml" },
    });
    assert.equal(ok.status, 201);
    const bad = await f.request("POST", "/v1/apps", {
      token: owner,
      body: `${yaml}    http_port: 70000\n`.replace("name: yml", "name: yml2"),
      headers: { "content-type": "application/yaml" },
    });
    assert.equal(bad.status, 400);
    const detail = (await json<ErrorJson>(bad)).details.find((d) => d.path === "services[0].http_port");
    assert.deepEqual([detail?.line, detail?.column], [6, 16]);
  });

  it("names the line and column of malformed JSON", async () => {
    const res = await f.request("POST", "/v1/apps", { token: owner, body: '{\n  "spec": {"name": "x",}\n}' });
    assert.equal(res.status, 400);
    const body = await json<ErrorJson>(res);
    assert.match(body.message, /line 2, column 24/);
    assert.deepEqual([body.details[0]?.line, body.details[0]?.column], [2, 24]);
  });

  it("rejects unknown body fields by path", async () => {
    const res = await f.request("POST", "/v1/apps", {
      token: owner,
      body: { spec: specNamed("u"), extra: 1 },
    });
    assert.equal(res.status, 400);
    assert.match((await json<ErrorJson>(res)).details[0]?.message ?? "", /unknown field "extra"/);
  });

  it("answers 413 for a body over 1 MiB", async () => {
    const big = JSON.stringify({ spec: { name: "big", description: "x".repeat(MAX_BODY_BYTES) } });
    const res = await f.request("POST", "/v1/apps", { token: owner, body: big });
    assert.equal(res.status, 413);
    assert.equal((await json<ErrorJson>(res)).id, "too_large");
  });

  it("updates an app's spec and refuses a rename", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("upd") } });
    const ok = await f.request("PUT", "/v1/apps/upd", {
      token: owner,
      body: { spec: specNamed("upd", "api") },
    });
    assert.equal(ok.status, 200);
    assert.equal((await json<{ app: AppJson }>(ok)).app.spec.services?.[0]?.name, "api");
    const rename = await f.request("PUT", "/v1/apps/upd", {
      token: owner,
      body: { spec: specNamed("other") },
    });
    assert.equal(rename.status, 400);
    const got = await json<{ app: AppJson }>(await f.request("GET", "/v1/apps/upd", { token: owner }));
    assert.equal(got.app.spec.name, "upd");
  });

  it("deletes an app and then answers 404", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("gone") } });
    const del = await f.request("DELETE", "/v1/apps/gone", { token: owner });
    assert.equal(del.status, 200);
    assert.equal((await f.request("GET", "/v1/apps/gone", { token: owner })).status, 404);
    assert.equal((await f.request("DELETE", "/v1/apps/gone", { token: owner })).status, 404);
  });

  it("proposes: normalized spec and name availability; 400 with details when invalid", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("taken") } });
    const res = await f.request("POST", "/v1/apps/propose", {
      token: owner,
      body: { spec: specNamed("taken") },
    });
    assert.equal(res.status, 200);
    const body = await json<{
      spec: { services: { http_port?: number }[] };
      app_name_available: boolean;
      app_name_suggestion?: string;
    }>(res);
    assert.equal(body.app_name_available, false);
    assert.equal(body.app_name_suggestion, "taken-2");
    assert.equal(body.spec.services[0]?.http_port, 8080);
    const free = await json<{ app_name_available: boolean }>(
      await f.request("POST", "/v1/apps/propose", { token: owner, body: { spec: specNamed("free") } }),
    );
    assert.equal(free.app_name_available, true);
    const invalid = await f.request("POST", "/v1/apps/propose", {
      token: owner,
      body: { spec: { name: "x" } },
    });
    assert.equal(invalid.status, 400);
    assert.ok((await json<ErrorJson>(invalid)).details.length > 0);
  });

  describe("deployments", () => {
    let d1: DeploymentJson;
    before(async () => {
      await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("dep") } });
      const res = await f.request("POST", "/v1/apps/dep/deployments", {
        token: owner,
        body: { force_build: true },
      });
      assert.equal(res.status, 201);
      d1 = (await json<{ deployment: DeploymentJson }>(res)).deployment;
    });

    it("creates a manual deployment in PENDING_BUILD with DO's progress tree", async () => {
      assert.equal(d1.cause, "manual");
      assert.equal(d1.phase, "PENDING_BUILD");
      assert.equal(d1.progress.total_steps, 6);
      assert.equal(d1.cause_details.digitalocean_user_action?.name, "CREATE_DEPLOYMENT");
      const stored = await f.store.get<Deployment>("Deployment", { namespace: "team-a", name: d1.id });
      assert.equal(stored.spec.forceBuild, true);
    });

    it("lists deployments newest first and gets one", async () => {
      const second = await f.request("POST", "/v1/apps/dep/deployments", { token: owner });
      const d2 = (await json<{ deployment: DeploymentJson }>(second)).deployment;
      const list = await json<{ deployments: DeploymentJson[] }>(
        await f.request("GET", "/v1/apps/dep/deployments", { token: owner }),
      );
      assert.deepEqual(
        list.deployments.slice(0, 2).map((d) => d.id),
        [d2.id, d1.id],
      );
      const got = await f.request("GET", `/v1/apps/dep/deployments/${d1.id}`, { token: owner });
      assert.equal((await json<{ deployment: DeploymentJson }>(got)).deployment.id, d1.id);
      assert.equal((await f.request("GET", "/v1/apps/dep/deployments/nope", { token: owner })).status, 404);
    });

    it("cancels an unfinished deployment, then answers 412", async () => {
      const res = await f.request("POST", `/v1/apps/dep/deployments/${d1.id}/cancel`, { token: owner });
      assert.equal(res.status, 200);
      assert.equal((await json<{ deployment: DeploymentJson }>(res)).deployment.phase, "CANCELED");
      const again = await f.request("POST", `/v1/apps/dep/deployments/${d1.id}/cancel`, { token: owner });
      assert.equal(again.status, 412);
      assert.equal((await json<ErrorJson>(again)).id, "failed_precondition");
    });

    it("rolls back to a deployment that went live, with its spec, and refuses one that did not", async () => {
      const canceled = await f.request("POST", "/v1/apps/dep/rollback", {
        token: owner,
        body: { deployment_id: d1.id },
      });
      assert.equal(canceled.status, 412);
      const live = await f.request("POST", "/v1/apps/dep/deployments", { token: owner });
      const liveId = (await json<{ deployment: DeploymentJson }>(live)).deployment.id;
      const stored = await f.store.get<Deployment>("Deployment", { namespace: "team-a", name: liveId });
      await f.store.updateStatus<Deployment>({
        ...stored,
        status: { ...(stored.status as NonNullable<Deployment["status"]>), phase: "SUPERSEDED" },
      });
      await f.request("PUT", "/v1/apps/dep", { token: owner, body: { spec: specNamed("dep", "api") } });
      const res = await f.request("POST", "/v1/apps/dep/rollback", {
        token: owner,
        body: { deployment_id: liveId },
      });
      assert.equal(res.status, 201);
      const { deployment } = await json<{ deployment: DeploymentJson }>(res);
      assert.equal(deployment.cause, `rollback to ${liveId}`);
      assert.equal(deployment.cause_details.type, "MANUAL_ROLLBACK");
      assert.equal(deployment.cloned_from, liveId);
      assert.equal(deployment.spec.services?.[0]?.name, "web");
    });

    it("restarts named components and rejects unknown ones", async () => {
      const res = await f.request("POST", "/v1/apps/dep/restart", {
        token: owner,
        body: { components: ["api"] },
      });
      assert.equal(res.status, 201);
      const { deployment } = await json<{ deployment: DeploymentJson }>(res);
      assert.equal(deployment.cause, "restart");
      assert.equal(deployment.cause_details.digitalocean_user_action?.name, "RESTART");
      const stored = await f.store.get<Deployment>("Deployment", {
        namespace: "team-a",
        name: deployment.id,
      });
      assert.equal(stored.metadata.annotations?.["slipway.dev/restart-components"], "api");
      const bad = await f.request("POST", "/v1/apps/dep/restart", {
        token: owner,
        body: { components: ["nope"] },
      });
      assert.equal(bad.status, 400);
      assert.equal((await json<ErrorJson>(bad)).details[0]?.path, "components[0]");
    });
  });

  it("records an audit entry for a success and for a failure, visible to the team's owner", async () => {
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("audited") } });
    await f.request("POST", "/v1/apps", { token: owner, body: { spec: specNamed("audited") } });
    const res = await f.request("GET", "/v1/audit", { token: owner });
    assert.equal(res.status, 200);
    const { entries } = await json<{ entries: AuditEntryJson[] }>(res);
    const mine = entries.filter((e) => e.target === "app/audited");
    assert.deepEqual(
      mine.map((e) => [e.action, e.result, e.actor, e.team]),
      [
        ["createApp", 201, "owner@team-a", "team-a"],
        ["createApp", 409, "owner@team-a", "team-a"],
      ],
    );
    assert.ok(entries.every((e) => e.team === "team-a"));
  });

  it("refuses the token of a user removed from the team (401)", async () => {
    const token = tokenOf(f, "team-b", "viewer");
    assert.equal((await f.request("GET", "/v1/apps", { token })).status, 200);
    const team = await f.store.get<TeamResource>("Team", { namespace: SYSTEM_NAMESPACE, name: "team-b" });
    await f.store.update<TeamResource>({
      ...team,
      spec: { ...team.spec, members: team.spec.members.filter((m) => m.user !== "viewer@team-b") },
    });
    assert.equal((await f.request("GET", "/v1/apps", { token })).status, 401);
  });

  it("bootstrapAdmin replaces the admin token when its file is gone, and the old one stops working", async () => {
    await rm(f.adminTokenPath);
    const path = await bootstrapAdmin({ store: f.store, dataDir: f.dir });
    const fresh = (await readFile(path, "utf8")).trim();
    assert.notEqual(fresh, f.adminToken);
    assert.equal((await f.request("GET", "/v1/audit", { token: fresh })).status, 200);
    assert.equal((await f.request("GET", "/v1/audit", { token: f.adminToken })).status, 401);
  });

  it("answers 404 with the error shape for an unknown route", async () => {
    const res = await f.request("GET", "/v1/nope", { token: owner });
    assert.equal(res.status, 404);
    assert.equal((await json<ErrorJson>(res)).id, "not_found");
  });
});
