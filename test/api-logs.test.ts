/**
 * The logs route over the real API, SQLite store and file log store: BUILD entries of a
 * deployment's Builds, per component, tailed, followed until the builds finish, and the errors
 * for what is not there. The Deployment and Builds are written straight to the store (no
 * controllers run here), as the Deployment controller would write them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type App, type Build, type Deployment, newBuilds, newDeployment } from "../src/resources/index.js";
import { type ApiFixture, createApiFixture, tokenOf } from "./helpers/api-fixture.js";

const TEAM = "team-a";

interface Entry {
  component: string;
  at: string;
  text: string;
}

function parse(text: string): Entry[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Entry);
}

describe("GET /v1/apps/{app}/logs", () => {
  let f: ApiFixture;
  let token = "";
  let deployment: Deployment;
  let builds: Build[] = [];
  const buildOf = (component: string) => {
    const b = builds.find((x) => x.spec.component === component);
    assert.ok(b !== undefined);
    return b;
  };

  before(async () => {
    f = await createApiFixture();
    token = tokenOf(f, TEAM, "viewer");
    const res = await f.request("POST", "/v1/apps", {
      token: tokenOf(f, TEAM, "member"),
      body: {
        spec: {
          name: "shop",
          services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git" } }],
          workers: [{ name: "queue", git: { repo_clone_url: "https://example.com/r.git" } }],
        },
      },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const app = await f.store.get<App>("App", { namespace: TEAM, name: "shop" });
    deployment = await f.store.create<Deployment>(
      newDeployment(app, { name: "d-1", cause: "manual", causeDetails: { type: "MANUAL" }, now: new Date() }),
    );
    builds = [];
    for (const b of newBuilds(deployment)) builds.push(await f.store.create<Build>(b));
    const id = (component: string) => ({
      namespace: TEAM,
      type: "BUILD" as const,
      name: buildOf(component).metadata.name,
    });
    f.logs.append(id("web"), "npm ci");
    f.logs.append(id("web"), "added 64 packages");
    f.logs.append(id("queue"), "pip install");
  });
  after(async () => {
    await f.close();
  });

  it("returns every BUILD entry of the newest deployment, tagged with its component", async () => {
    const res = await f.request("GET", "/v1/apps/shop/logs", { token });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson");
    const entries = parse(await res.text());
    assert.deepEqual(entries.map((e) => `${e.component}: ${e.text}`).sort(), [
      "queue: pip install",
      "web: added 64 packages",
      "web: npm ci",
    ]);
    assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.at))));
  });

  it("filters by component and keeps only the tail", async () => {
    const res = await f.request("GET", "/v1/apps/shop/logs?component_name=web&tail_lines=1&deployment=d-1", {
      token,
    });
    assert.deepEqual(
      parse(await res.text()).map((e) => e.text),
      ["added 64 packages"],
    );
  });

  it("follows a running build until it finishes", async () => {
    const web = buildOf("web");
    const queue = buildOf("queue");
    for (const b of [queue, web])
      await f.store.updateStatus<Build>({ ...b, status: { phase: "SUCCEEDED", attempts: 1 } });
    const running = await f.store.get<Build>("Build", { namespace: TEAM, name: web.metadata.name });
    await f.store.updateStatus<Build>({ ...running, status: { phase: "RUNNING", attempts: 1 } });
    const res = await f.request("GET", "/v1/apps/shop/logs?component_name=web&follow=true", { token });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before "${needle}"; got ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil("added 64 packages");
    f.logs.append({ namespace: TEAM, type: "BUILD", name: web.metadata.name }, "build finished");
    await readUntil("build finished");
    const now = await f.store.get<Build>("Build", { namespace: TEAM, name: web.metadata.name });
    await f.store.updateStatus<Build>({ ...now, status: { phase: "SUCCEEDED", attempts: 1 } });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.deepEqual(
      parse(text).map((e) => e.text),
      ["npm ci", "added 64 packages", "build finished"],
    );
  });

  it("answers 404 for another team, an unknown component or deployment, and 412 for RUN logs", async () => {
    const other = await f.request("GET", "/v1/apps/shop/logs", { token: tokenOf(f, "team-b", "owner") });
    assert.equal(other.status, 404);
    const component = await f.request("GET", "/v1/apps/shop/logs?component_name=nope", { token });
    assert.equal(component.status, 404);
    assert.match(await component.text(), /no build of a component named \\"nope\\"/);
    const dep = await f.request("GET", "/v1/apps/shop/logs?deployment=missing", { token });
    assert.equal(dep.status, 404);
    const run = await f.request("GET", "/v1/apps/shop/logs?type=RUN", { token });
    assert.equal(run.status, 412);
    const bad = await f.request("GET", "/v1/apps/shop/logs?type=LOUD", { token });
    assert.equal(bad.status, 400);
  });
});
