/**
 * Jobs through the real stack — `slipway server`, builds and gVisor sandboxes in an app network,
 * HAProxy (ADR 0025): a PRE_DEPLOY job runs before any instance of its deployment and gates it;
 * a POST_DEPLOY job runs once the deployment is ACTIVE; a job past its `timeout` is killed and
 * FAILED without undoing the deployment; a SCHEDULED job (`* * * * *`) runs on its own; a
 * PRE_DEPLOY job exiting 3 puts the deployment in ERROR with the reason while the previous one
 * keeps serving, and the FAILED_DEPLOY job runs. Every run's output is read back through the
 * logs API and `slipway apps logs APP JOB`. Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson, type JobInvocationJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { getViaRouter } from "./helpers/router-get.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const APP = "hooks";

const FILES = [
  {
    path: "package.json",
    content: JSON.stringify({
      name: "hooks",
      version: "1.0.0",
      private: true,
      scripts: { start: "node server.js" },
    }),
  },
  {
    path: "server.js",
    content: [
      'const http = require("node:http");',
      'http.createServer((req, res) => res.end("Hello " + process.env.VERSION + "\\n")).listen(Number(process.env.PORT));',
    ].join("\n"),
  },
  {
    path: "job.js",
    content: [
      "const [name, code] = process.argv.slice(2);",
      'console.log("job " + name + " version " + process.env.VERSION);',
      'console.error("job " + name + " exits with " + (code ?? "0"));',
      "process.exit(Number(code ?? 0));",
    ].join("\n"),
  },
];

function spec(version: string, migrateExit: number): AppSpec {
  return {
    name: APP,
    envs: [{ key: "VERSION", value: version, scope: "RUN_TIME" }],
    services: [{ name: "web", run_command: "node server.js", http_port: 8080 }],
    jobs: [
      { name: "migrate", kind: "PRE_DEPLOY", run_command: `node job.js migrate ${migrateExit}` },
      { name: "notify", kind: "POST_DEPLOY", run_command: "node job.js notify" },
      {
        name: "slow",
        kind: "POST_DEPLOY",
        timeout: "3s",
        termination: { grace_period_seconds: 1 },
        run_command: "echo slow started; sleep 600",
      },
      { name: "page", kind: "FAILED_DEPLOY", run_command: "node job.js page" },
      { name: "tick", kind: "SCHEDULED", schedule: { cron: "* * * * *" }, run_command: "node job.js tick" },
    ],
  };
}

describe("jobs through the server", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-jobs-"));
  const dataDir = join(dir, "data");
  let server: ServerProcess | undefined;
  let client: Client;
  let token = "";
  let first: DeploymentJson;

  async function deployments(): Promise<DeploymentJson[]> {
    return (await client.listDeployments({ params: { app: APP }, query: {} })).deployments;
  }

  async function invocations(
    query: { job_name?: string; deployment?: string } = {},
  ): Promise<JobInvocationJson[]> {
    return (await client.listJobInvocations({ params: { app: APP }, query })).job_invocations;
  }

  /** Waits for an invocation of `job` (of `deployment`) that ended, and returns it. */
  async function ended(job: string, deployment?: string, timeoutMs = 120_000): Promise<JobInvocationJson> {
    let found: JobInvocationJson | undefined;
    await waitFor(
      async () => {
        found = (
          await invocations({ job_name: job, ...(deployment === undefined ? {} : { deployment }) })
        ).find((i) => !["PENDING", "RUNNING"].includes(i.phase));
        return found !== undefined;
      },
      timeoutMs,
      `a finished run of job ${job}`,
    );
    return found as JobInvocationJson;
  }

  async function jobLog(query: Record<string, string>): Promise<string[]> {
    const lines: string[] = [];
    for await (const e of client.stream("getLogs", { params: { app: APP }, query })) lines.push(e.text);
    return lines;
  }

  function step(d: DeploymentJson, component: string) {
    const deploy = d.progress.steps.find((s) => s.name === "deploy");
    return deploy?.steps?.find((s) => s.name === "components")?.steps?.find((s) => s.name === component);
  }

  /** Job sandboxes still known to runsc under the server's state root. */
  function sandboxes(): string[] {
    const out = execFileSync(
      "runsc",
      ["--root", join(dataDir, "runtime", "state"), "list", "--format=json"],
      {
        encoding: "utf8",
      },
    ).trim();
    const list = (out === "" || out === "null" ? [] : JSON.parse(out)) as { id: string }[];
    return list.map((s) => s.id);
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "jobs run in gVisor and need root");
    await sharedTestStack();
    server = await startServer(dataDir, ["--stacks-dir", TEST_STACK_ROOT, "--verbose"]);
    token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    client = createClient({ baseUrl: server.url, token });
    await client.createApp({ body: { spec: spec("v1", 0), source: { files: FILES } } });
    await waitFor(
      async () => ["ACTIVE", "ERROR"].includes((await deployments())[0]?.phase ?? ""),
      400_000,
      "the first deployment",
    );
    first = (await deployments())[0] as DeploymentJson;
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the PRE_DEPLOY job before any instance starts, then goes ACTIVE", async () => {
    assert.equal(first.phase, "ACTIVE", JSON.stringify(first.progress));
    const [migrate] = await invocations({ job_name: "migrate" });
    assert.equal(migrate?.phase, "SUCCEEDED");
    assert.equal(migrate?.trigger.type, "PRE_DEPLOY");
    assert.equal(migrate?.deployment_id, first.id);
    assert.equal(migrate?.exit_code, 0);
    // The web component's deploy step started only once the job had finished.
    const web = step(first, "web")?.steps?.find((s) => s.name === "deploy");
    assert.ok(web?.started_at !== undefined && migrate?.completed_at !== undefined);
    assert.ok(migrate.completed_at <= web.started_at, `${migrate.completed_at} <= ${web.started_at}`);
    assert.equal(step(first, "migrate")?.status, "SUCCESS");
    const ran = Date.parse(migrate.completed_at) - Date.parse(migrate.started_at ?? "");
    process.stdout.write(`# pre-deploy job migrate: ${ran} ms from RUNNING to its exit recorded\n`);
    // Its output, through the API and through the CLI as a user reads it.
    const lines = await jobLog({ component_name: "migrate" });
    assert.ok(lines.includes("job migrate version v1"), lines.join("\n"));
    assert.ok(lines.includes("job migrate exits with 0"), lines.join("\n"));
    const cli = await slipway(["apps", "logs", APP, "migrate"], {
      SLIPWAY_URL: server?.url ?? "",
      SLIPWAY_TOKEN: token,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^migrate \S+ job migrate version v1$/m);
    const served = await getViaRouter(server?.httpPort ?? 0, `${APP}.localhost:${server?.httpPort}`);
    assert.equal(served.body, "Hello v1\n");
  });

  it("runs the POST_DEPLOY job after the deployment is ACTIVE", async () => {
    const notify = await ended("notify");
    assert.equal(notify.phase, "SUCCEEDED", notify.message);
    assert.equal(notify.trigger.type, "POST_DEPLOY");
    assert.ok(
      notify.created_at >= first.phase_last_updated_at,
      `${notify.created_at} >= ${first.phase_last_updated_at}`,
    );
    const lines = await jobLog({ type: "JOB_INVOCATION", job_invocation: notify.id });
    assert.ok(lines.includes("job notify version v1"), lines.join("\n"));
    // The FAILED_DEPLOY job has nothing to do for a deployment that went live.
    assert.deepEqual(await invocations({ job_name: "page", deployment: first.id }), []);
  });

  it("kills a job that runs past its timeout and marks it FAILED, without undoing the deployment", async () => {
    const slow = await ended("slow");
    assert.equal(slow.phase, "FAILED");
    assert.equal(slow.message, "timed out after 3 s");
    assert.ok((await jobLog({ component_name: "slow" })).includes("slow started"));
    await waitFor(
      () => !sandboxes().some((id) => id.startsWith(`${first.id}-slow`)),
      30_000,
      "the timed-out job's sandbox to be gone",
    );
    const d = (await client.getDeployment({ params: { app: APP, deployment: first.id } })).deployment;
    assert.equal(d.phase, "ACTIVE");
    assert.equal(step(d, "slow")?.status, "ERROR");
    assert.match(JSON.stringify(step(d, "slow")), /post-deploy job slow failed: timed out after 3 s/);
  });

  it("runs the SCHEDULED job on its cron in a sandbox, with its output in the logs", async () => {
    // `* * * * *` fires on the next minute: at most about a minute away.
    const tick = await ended("tick", undefined, 150_000);
    assert.equal(tick.phase, "SUCCEEDED", tick.message);
    assert.equal(tick.trigger.type, "SCHEDULED");
    const lines = await jobLog({ type: "JOB_INVOCATION", component_name: "tick" });
    assert.ok(lines.includes("job tick version v1"), lines.join("\n"));
  });

  it("fails the deployment when a PRE_DEPLOY job exits 3, keeps the old one serving, runs FAILED_DEPLOY", async () => {
    const known = new Set((await deployments()).map((d) => d.id));
    await client.updateApp({ params: { app: APP }, body: { spec: spec("v2", 3) } });
    let second: DeploymentJson | undefined;
    await waitFor(
      async () => {
        second = (await deployments()).find((d) => !known.has(d.id));
        return second !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(second.phase);
      },
      300_000,
      "the second deployment to end",
    );
    const d = second as DeploymentJson;
    assert.equal(d.phase, "ERROR");
    const reason = step(d, "migrate")?.steps?.find((s) => s.reason !== undefined)?.reason?.message ?? "";
    assert.match(
      reason,
      /^pre-deploy job migrate failed with exit code 3 \(its output: slipway apps logs hooks migrate --deployment /,
    );
    assert.ok(d.progress.error_steps > 0);
    // No instance of it ever started: its web step never began.
    assert.equal(step(d, "web")?.status, "PENDING");
    const lines = await jobLog({ component_name: "migrate", deployment: d.id });
    assert.ok(lines.includes("job migrate exits with 3"), lines.join("\n"));
    // The previous deployment keeps serving.
    const { app } = await client.getApp({ params: { app: APP } });
    assert.equal(app.active_deployment?.id, first.id);
    const served = await getViaRouter(server?.httpPort ?? 0, `${APP}.localhost:${server?.httpPort}`);
    assert.equal(served.body, "Hello v1\n");
    // And the FAILED_DEPLOY job ran, once, for the failed deployment.
    const page = await ended("page", d.id);
    assert.equal(page.phase, "SUCCEEDED", page.message);
    assert.equal(page.trigger.type, "FAILED_DEPLOY");
    assert.ok((await jobLog({ component_name: "page" })).includes("job page version v2"));
    assert.equal((await invocations({ job_name: "page" })).length, 1);
  });
});
