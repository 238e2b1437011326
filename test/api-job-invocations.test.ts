/**
 * The job invocation routes over a real API and SQLite store: list (filters, newest first,
 * team isolation), get, cancel (spec.canceled; refused once finished).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { JobInvocationJson } from "../src/api/index.js";
import type { CliIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/run.js";
import {
  type App,
  type Deployment,
  type JobInvocation,
  jobInvocationName,
  newDeployment,
  newJobInvocation,
} from "../src/resources/index.js";
import { type ApiFixture, createApiFixture, tokenOf } from "./helpers/api-fixture.js";

const spec = {
  name: "shop",
  jobs: ["cleanup", "report"].map((name) => ({
    name,
    kind: "SCHEDULED",
    schedule: { cron: "*/5 * * * *", time_zone: "Europe/Berlin" },
    git: { repo_clone_url: "https://example.com/r.git" },
    run_command: "./run",
  })),
};
const tick = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min));

describe("job invocation routes", () => {
  let f: ApiFixture;
  let member: string;
  before(async () => {
    f = await createApiFixture();
    member = tokenOf(f, "team-a", "member");
    const res = await f.request("POST", "/v1/apps", { token: member, body: { spec } });
    assert.equal(res.status, 201, await res.clone().text());
    const app = await f.store.get<App>("App", { namespace: "team-a", name: "shop" });
    const deployment = await f.store.create<Deployment>(
      newDeployment(app, {
        name: "shop-d1",
        cause: "test",
        causeDetails: { type: "MANUAL", action: "CREATE_DEPLOYMENT" },
        now: new Date(),
      }),
    );
    for (const [job, min] of [
      ["cleanup", 5],
      ["cleanup", 10],
      ["report", 5],
    ] as const) {
      await f.store.create(newJobInvocation(app, deployment, { job, tick: tick(min), trigger: "SCHEDULED" }));
    }
    const done = await f.store.get<JobInvocation>("JobInvocation", {
      namespace: "team-a",
      name: jobInvocationName("shop", "report", tick(5)),
    });
    await f.store.updateStatus<JobInvocation>({ ...done, status: { phase: "SUCCEEDED", exitCode: 0 } });
  });
  after(async () => {
    await f.close();
  });

  const list = async (query = "", token = member) => {
    const res = await f.request("GET", `/v1/apps/shop/job-invocations${query}`, { token });
    return { status: res.status, body: (await res.json()) as { job_invocations: JobInvocationJson[] } };
  };

  it("lists an app's invocations newest tick first, filtered by job name and deployment", async () => {
    const all = await list();
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.job_invocations.map((i) => [i.job_name, i.scheduled_at]),
      [
        ["cleanup", tick(10).toISOString()],
        ["cleanup", tick(5).toISOString()],
        ["report", tick(5).toISOString()],
      ],
    );
    const report = (await list("?job_name=report")).body.job_invocations;
    assert.deepEqual(
      report.map((i) => [i.id, i.phase, i.exit_code, i.trigger.type, i.deployment_id]),
      [[jobInvocationName("shop", "report", tick(5)), "SUCCEEDED", 0, "SCHEDULED", "shop-d1"]],
    );
    assert.deepEqual((await list("?deployment=other")).body.job_invocations, []);
    assert.deepEqual((await list("?job_name=Not%20A%20Label")).body.job_invocations, []);
  });

  it("hides one team's invocations from another", async () => {
    const res = await list("", tokenOf(f, "team-b", "owner"));
    assert.equal(res.status, 404);
  });

  it("cancels a pending invocation and refuses to cancel a finished one", async () => {
    const id = jobInvocationName("shop", "cleanup", tick(10));
    const viewer = await f.request("POST", `/v1/apps/shop/job-invocations/${id}/cancel`, {
      token: tokenOf(f, "team-a", "viewer"),
    });
    assert.equal(viewer.status, 403);
    const res = await f.request("POST", `/v1/apps/shop/job-invocations/${id}/cancel`, { token: member });
    assert.equal(res.status, 200, await res.clone().text());
    const stored = await f.store.get<JobInvocation>("JobInvocation", { namespace: "team-a", name: id });
    assert.equal(stored.spec.canceled, true);
    const finished = jobInvocationName("shop", "report", tick(5));
    const refused = await f.request("POST", `/v1/apps/shop/job-invocations/${finished}/cancel`, {
      token: member,
    });
    assert.equal(refused.status, 412);
    assert.match(
      ((await refused.json()) as { message: string }).message,
      /is SUCCEEDED; only a PENDING or RUNNING/,
    );
    const missing = await f.request("GET", "/v1/apps/shop/job-invocations/shop.cleanup.1", { token: member });
    assert.equal(missing.status, 404);
  });

  it("slipway apps list-job-invocations prints them, filtered by --job-name", async () => {
    let out = "";
    let err = "";
    const io: CliIo = {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readStdin: async () => new Uint8Array(),
      readFile: async () => new Uint8Array(),
      writeFile: async () => {},
      env: { SLIPWAY_URL: "http://slipway.test", SLIPWAY_TOKEN: member, HOME: "/nonexistent" },
      fetch: async (input, init) => f.api.request(input instanceof URL ? input.href : input, init),
    };
    const code = await runCli(
      ["apps", "list-job-invocations", "shop", "--job-name", "report", "-o", "json"],
      io,
    );
    assert.equal(code, 0, err);
    const listed = JSON.parse(out) as JobInvocationJson[];
    assert.deepEqual(
      listed.map((i) => i.id),
      [jobInvocationName("shop", "report", tick(5))],
    );
    out = "";
    assert.equal(await runCli(["apps", "list-job-invocations", "shop"], io), 0, err);
    assert.match(out, /^ID\s+Job\s+Deployment\s+Trigger\s+Phase/);
    assert.equal(out.trim().split("\n").length, 4, out);
  });
});
