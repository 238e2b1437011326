/**
 * Scaling through the real stack (ADR 0024) — `slipway server`, gVisor instances, HAProxy — under
 * a bounded load loop on loopback that counts every failed request: an app scaled 1 -> 5 -> 1 by
 * App updates keeps its deployment and serves throughout; an autoscaled app under CPU-burning load
 * gets more instances (CPU read from the sandboxes' cgroups) and goes back to its minimum when
 * idle. Needs root.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson, type InstanceJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { type Load, startLoad } from "./helpers/http-load.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

/** A web service with no dependencies: names its process, and burns CPU on /burn?ms=N. */
const SERVER_JS = `import { createServer } from "node:http";
const id = Math.random().toString(36).slice(2, 10);
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok\\n");
  const burn = /^\\/burn\\?ms=(\\d+)$/.exec(req.url ?? "");
  if (burn) {
    const until = Date.now() + Math.min(1000, Number(burn[1]));
    while (Date.now() < until);
  }
  res.end("Hello from Slipway " + id + "\\n");
}).listen(Number(process.env.PORT ?? 8080));
`;
const FILES = [
  {
    path: "package.json",
    content: JSON.stringify({
      name: "scaling",
      version: "1.0.0",
      private: true,
      type: "module",
      scripts: { start: "node server.js" },
    }),
  },
  { path: "server.js", content: SERVER_JS },
];

type Service = NonNullable<AppSpec["services"]>[number];

function spec(name: string, web: Partial<Service>): AppSpec {
  return {
    name,
    services: [
      {
        name: "web",
        http_port: 8080,
        run_command: "node server.js",
        termination: { drain_seconds: 2, grace_period_seconds: 5 },
        health_check: { http_path: "/healthz", period_seconds: 1, failure_threshold: 3 },
        ...web,
      },
    ],
  };
}

describe("scaling through the router", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-scaling-"));
  let server: ServerProcess | undefined;
  let client: Client;
  const loads: Load[] = [];

  const deployments = async (app: string): Promise<DeploymentJson[]> =>
    (await client.listDeployments({ params: { app }, query: {} })).deployments;
  const instances = async (app: string): Promise<InstanceJson[]> =>
    (await client.listInstances({ params: { app } })).instances;
  /** Exactly `n` instances, every one ready and none draining (drained ones are deleted). */
  const settledAt = async (app: string, n: number) => {
    const all = await instances(app);
    return all.length === n && all.every((i) => i.ready && !i.draining);
  };

  function load(app: string, path = "/", clients = 2): Load {
    const port = server?.httpPort ?? 0;
    const l = startLoad({
      port,
      host: `${app}.localhost:${port}`,
      path,
      keepAliveClients: clients,
      closeClients: 1,
      maxRequests: 200_000,
      maxMs: 400_000,
      check: (body) => body.startsWith("Hello from Slipway"),
    });
    loads.push(l);
    return l;
  }

  async function createActive(app: string, appSpec: AppSpec): Promise<DeploymentJson> {
    await client.createApp({ body: { spec: appSpec, source: { files: FILES } } });
    await waitFor(
      async () => ["ACTIVE", "ERROR"].includes((await deployments(app))[0]?.phase ?? ""),
      300_000,
      `the first deployment of ${app}`,
    );
    const [d] = await deployments(app);
    assert.equal(d?.phase, "ACTIVE", JSON.stringify(d?.progress));
    return d as DeploymentJson;
  }

  /** Waits until the router answers for `app` (it follows the store a moment after ACTIVE). */
  async function routed(app: string): Promise<void> {
    const probe = load(app);
    await waitFor(() => probe.report.ok > 0, 30_000, `${app} through the router`);
    await probe.stop();
  }

  function routerLog(): string {
    return (server?.stderr() ?? "")
      .split("\n")
      .filter((l) => /router|autoscal/.test(l))
      .slice(-30)
      .join("\n");
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    server = await startServer(join(dir, "data"), [
      "--stacks-dir",
      TEST_STACK_ROOT,
      "--verbose",
      "--autoscale-interval-seconds",
      "2",
      "--autoscale-stabilization-seconds",
      "10",
    ]);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dir, "data", "admin-token"), "utf8").trim(),
    });
  });

  after(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scaling 1 -> 5 -> 1 keeps serving, in the same deployment", async () => {
    const app = "scale";
    const first = await createActive(
      app,
      spec(app, { instance_count: 1, instance_size_slug: "apps-s-1vcpu-1gb" }),
    );
    await routed(app);
    const l = load(app);
    let t = performance.now();
    await client.updateApp({
      params: { app },
      body: { spec: spec(app, { instance_count: 5, instance_size_slug: "apps-s-1vcpu-1gb" }) },
    });
    await waitFor(() => settledAt(app, 5), 180_000, "5 ready instances");
    const upMs = Math.round(performance.now() - t);
    assert.deepEqual(
      (await instances(app)).map((i) => i.deployment_id),
      Array(5).fill(first.id),
    );
    const scaled = (await client.getApp({ params: { app } })).app;
    assert.equal(scaled.active_deployment?.id, first.id);
    assert.equal(scaled.active_deployment?.spec.services?.[0]?.instance_count, 5, "the live count is shown");
    // Every new instance takes traffic once ready.
    await waitFor(() => l.report.bodies.size >= 5, 60_000, "answers from 5 instances");
    await client.updateApp({
      params: { app },
      body: { spec: spec(app, { instance_count: 1, instance_size_slug: "apps-s-1vcpu-1gb" }) },
    });
    t = performance.now();
    await waitFor(() => settledAt(app, 1), 120_000, "1 instance left");
    const downMs = Math.round(performance.now() - t);
    const report = await l.stop();
    process.stdout.write(
      `# scaling 1 -> 5 -> 1: 5 ready ${upMs} ms after the update, 1 left ${downMs} ms after the next (drain 2 s); ${report.ok} requests served by ${report.bodies.size} instances, ${report.failures.length} failed\n`,
    );
    if (report.failures.length > 0) process.stdout.write(`# router log:\n${routerLog()}\n`);
    assert.deepEqual(report.failures.slice(0, 5), []);
    assert.deepEqual(
      (await deployments(app)).map((d) => d.id),
      [first.id],
      "no deployment was made for scaling",
    );
    const shown = await client.getApp({ params: { app } });
    assert.equal(shown.app.spec.services?.[0]?.instance_count, 1);
  });

  it("autoscales on CPU: more instances under burning load, back to the minimum when idle", async () => {
    const app = "burn";
    const first = await createActive(
      app,
      spec(app, {
        instance_size_slug: "apps-d-1vcpu-0.5gb",
        autoscaling: { min_instance_count: 1, max_instance_count: 3, metrics: { cpu: { percent: 20 } } },
      }),
    );
    await routed(app);
    const l = load(app, "/burn?ms=200", 3);
    let t = performance.now();
    await waitFor(
      async () => (await instances(app)).filter((i) => i.ready && !i.draining).length > 1,
      180_000,
      "a scale-up under load",
    );
    const upMs = Math.round(performance.now() - t);
    const report = await l.stop();
    t = performance.now();
    assert.deepEqual(report.failures.slice(0, 5), []);
    await waitFor(() => settledAt(app, 1), 180_000, "back to 1 instance when idle");
    process.stdout.write(
      `# autoscale (interval 2 s, window 10 s): up ${upMs} ms after the burning load started (${report.ok} requests, ${report.failures.length} failed), back to 1 instance ${Math.round(performance.now() - t)} ms after it stopped\n`,
    );
    assert.deepEqual(
      (await deployments(app)).map((d) => d.id),
      [first.id],
      "autoscaling made no deployment",
    );
    process.stdout.write(
      `# autoscaler log:\n${routerLog()
        .split("\n")
        .filter((x) => x.includes("autoscal"))
        .join("\n")}\n`,
    );
  });
});
