/**
 * JOB_INVOCATION logs on the logs route over the real API, SQLite store and file log store
 * (ADR 0025): a job that ran shows its runs' output by default, one run by id, the newest run of
 * each job, followed until the run ends; deploy-hook invocations (owned by the Deployment) are
 * listed with the app's. Objects are written straight to the store, as the controllers would.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newHookInvocation } from "../src/controllers/deploy-hook-invocations.js";
import {
  type App,
  type Build,
  type Deployment,
  type JobInvocation,
  jobInvocationName,
  newBuilds,
  newDeployment,
  newJobInvocation,
} from "../src/resources/index.js";
import type { JobSpec } from "../src/spec/index.js";
import { type ApiFixture, createApiFixture, tokenOf } from "./helpers/api-fixture.js";

const TEAM = "team-a";
const GIT = { git: { repo_clone_url: "https://example.com/r.git" } };
const tick = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min));

function parse(text: string): { component: string; text: string }[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { component: string; text: string });
}

describe("JOB_INVOCATION logs", () => {
  let f: ApiFixture;
  let token = "";
  let migrate: JobInvocation;
  const stream = (name: string) => ({ namespace: TEAM, type: "JOB_INVOCATION" as const, name });
  const get = async (query: string, as = token) => {
    const res = await f.request("GET", `/v1/apps/shop/logs${query}`, { token: as });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    f = await createApiFixture();
    token = tokenOf(f, TEAM, "viewer");
    const spec = {
      name: "shop",
      services: [{ name: "web", ...GIT }],
      jobs: [
        { name: "migrate", ...GIT, kind: "PRE_DEPLOY", run_command: "./migrate" },
        { name: "tick", ...GIT, kind: "SCHEDULED", schedule: { cron: "*/5 * * * *" }, run_command: "./tick" },
      ],
    };
    const res = await f.request("POST", "/v1/apps", { token: tokenOf(f, TEAM, "member"), body: { spec } });
    assert.equal(res.status, 201, await res.clone().text());
    const app = await f.store.get<App>("App", { namespace: TEAM, name: "shop" });
    const deployment = await f.store.create<Deployment>(
      newDeployment(app, { name: "d-1", cause: "manual", causeDetails: { type: "MANUAL" }, now: new Date() }),
    );
    for (const b of newBuilds(deployment)) await f.store.create<Build>(b);
    const web = `${deployment.metadata.name}-web`;
    f.logs.append({ namespace: TEAM, type: "BUILD", name: web }, "web built");
    const job = deployment.spec.appSpec.jobs?.[0] as JobSpec;
    migrate = await f.store.create<JobInvocation>(
      newHookInvocation(deployment, job, "PRE_DEPLOY", new Date()),
    );
    await f.store.updateStatus<JobInvocation>({ ...migrate, status: { phase: "RUNNING" } });
    f.logs.append(stream(migrate.metadata.name), "migrating 3 tables");
    for (const min of [5, 10]) {
      const inv = await f.store.create<JobInvocation>(
        newJobInvocation(app, deployment, { job: "tick", tick: tick(min), trigger: "SCHEDULED" }),
      );
      await f.store.updateStatus<JobInvocation>({ ...inv, status: { phase: "SUCCEEDED", exitCode: 0 } });
      f.logs.append(stream(inv.metadata.name), `tick at minute ${min}`);
    }
  });
  after(async () => {
    await f.close();
  });

  it("shows a job's run output by default, and a service's build log", async () => {
    const job = await get("?component_name=migrate");
    assert.equal(job.status, 200, job.text);
    assert.deepEqual(
      parse(job.text).map((e) => `${e.component}: ${e.text}`),
      ["migrate: migrating 3 tables"],
    );
    const web = await get("?component_name=web");
    assert.deepEqual(
      parse(web.text).map((e) => e.text),
      ["web built"],
    );
  });

  it("shows the newest run of each job, one run by id, and filters by deployment", async () => {
    const newest = await get("?type=JOB_INVOCATION");
    assert.deepEqual(
      // Streams of several runs are merged in arrival order: which run's line comes first is not fixed.
      parse(newest.text)
        .map((e) => `${e.component}: ${e.text}`)
        .sort(),
      ["migrate: migrating 3 tables", "tick: tick at minute 10"],
    );
    const older = await get(
      `?type=JOB_INVOCATION&job_invocation=${jobInvocationName("shop", "tick", tick(5))}`,
    );
    assert.deepEqual(
      parse(older.text).map((e) => e.text),
      ["tick at minute 5"],
    );
    const other = await get("?type=JOB_INVOCATION&component_name=migrate&deployment=d-2");
    assert.equal(other.status, 404);
    assert.match(other.text, /has no job runs of \\"migrate\\" in deployment d-2/);
  });

  it("follows a run until it ends", async () => {
    const res = await f.request("GET", `/v1/apps/shop/logs?component_name=migrate&follow=true`, { token });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("migrating 3 tables")) text += decoder.decode((await reader.read()).value);
    f.logs.append(stream(migrate.metadata.name), "done");
    const now = await f.store.get<JobInvocation>("JobInvocation", {
      namespace: TEAM,
      name: migrate.metadata.name,
    });
    await f.store.updateStatus<JobInvocation>({ ...now, status: { phase: "SUCCEEDED", exitCode: 0 } });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.deepEqual(
      parse(text).map((e) => e.text),
      ["migrating 3 tables", "done"],
    );
  });

  it("lists the deploy hook's invocation with the app's, and hides both from another team", async () => {
    const res = await f.request("GET", "/v1/apps/shop/job-invocations?deployment=d-1", { token });
    const body = (await res.json()) as { job_invocations: { id: string; trigger: { type: string } }[] };
    assert.deepEqual(
      body.job_invocations.map((i) => [i.id, i.trigger.type]).sort(),
      [
        ["d-1.migrate", "PRE_DEPLOY"],
        [jobInvocationName("shop", "tick", tick(10)), "SCHEDULED"],
        [jobInvocationName("shop", "tick", tick(5)), "SCHEDULED"],
      ].sort(),
    );
    const hook = await f.request("GET", "/v1/apps/shop/job-invocations/d-1.migrate", { token });
    assert.equal(hook.status, 200);
    const stranger = await get("?type=JOB_INVOCATION", tokenOf(f, "team-b", "owner"));
    assert.equal(stranger.status, 404);
  });
});
