/**
 * Rollouts under load through the real stack — `slipway server`, gVisor instances in an app
 * network, HAProxy — with a bounded in-process load loop on loopback counting every failed
 * request: 10 successive deployments (RUN_TIME env changes, so no build) serve without a single
 * failure; a deployment whose new version fails its health check ends in ERROR while the old one
 * keeps serving; an instance killed with SIGKILL is restarted and serves again. Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { commitFolder } from "./helpers/git-repo.js";
import { type Load, startLoad } from "./helpers/http-load.js";
import { repoRoot } from "./helpers/repo-root.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const APP = "roll";

describe("rollouts under load through the router", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-rollout-"));
  const repo = join(dir, "repo");
  let server: ServerProcess | undefined;
  let client: Client;
  const loads: Load[] = [];

  function spec(version: string, extra: Partial<NonNullable<AppSpec["services"]>[number]> = {}): AppSpec {
    return {
      name: APP,
      services: [
        {
          name: "web",
          git: { repo_clone_url: `file://${repo}`, branch: "main" },
          http_port: 8080,
          instance_count: 2,
          instance_size_slug: "apps-s-1vcpu-1gb",
          termination: { drain_seconds: 2, grace_period_seconds: 5 },
          health_check: { http_path: "/healthz", period_seconds: 1, failure_threshold: 3 },
          envs: [{ key: "VERSION", value: version, scope: "RUN_TIME" }],
          ...extra,
        },
      ],
    };
  }

  async function deployments(): Promise<DeploymentJson[]> {
    return (await client.listDeployments({ params: { app: APP }, query: {} })).deployments;
  }

  /** Applies `next` and waits until the deployment it caused has ended; returns it. */
  async function deploy(next: AppSpec): Promise<DeploymentJson> {
    const before = new Set((await deployments()).map((d) => d.id));
    await client.updateApp({ params: { app: APP }, body: { spec: next } });
    let d: DeploymentJson | undefined;
    await waitFor(
      async () => {
        d = (await deployments()).find((x) => !before.has(x.id));
        return d !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(d.phase);
      },
      120_000,
      "the new deployment to finish",
    );
    return d as DeploymentJson;
  }

  function load(): Load {
    const port = server?.httpPort ?? 0;
    const l = startLoad({
      port,
      host: `${APP}.localhost:${port}`,
      keepAliveClients: 2,
      closeClients: 1,
      maxRequests: 200_000,
      maxMs: 300_000,
      check: (body) => body.startsWith("Hello from Slipway"),
    });
    loads.push(l);
    return l;
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    commitFolder(join(repoRoot(), "examples", "node-express"), repo);
    server = await startServer(join(dir, "data"), [
      "--stacks-dir",
      TEST_STACK_ROOT,
      "--allow-file-git-urls",
      "--verbose",
    ]);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dir, "data", "admin-token"), "utf8").trim(),
    });
    await client.createApp({ body: { spec: spec("v0") } });
    await waitFor(
      async () => {
        const first = (await deployments())[0];
        // A first deployment that failed ends the wait with its reason, not after the timeout.
        assert.notEqual(first?.phase, "ERROR", JSON.stringify(first?.progress));
        return first?.phase === "ACTIVE";
      },
      300_000,
      "the first deployment",
    );
    // Routed: a request through HAProxy answers.
    const probe = load();
    await waitFor(() => probe.report.ok > 0, 30_000, "the app through the router");
    await probe.stop();
  });

  after(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves 10 successive deployments under load with no failed request", async () => {
    const l = load();
    const started = performance.now();
    for (let i = 1; i <= 10; i++) {
      const d = await deploy(spec(`v${i}`));
      assert.equal(d.phase, "ACTIVE", `deployment ${i}: ${JSON.stringify(d.progress)}`);
    }
    const report = await l.stop();
    process.stdout.write(
      `# 10 deployments in ${Math.round(performance.now() - started)} ms: ${report.ok} requests served, ${report.failures.length} failed\n`,
    );
    assert.ok(report.ok > 100, `enough requests were sent (${report.ok})`);
    if (report.failures.length > 0)
      process.stdout.write(
        `# router log:\n${(server?.stderr() ?? "")
          .split("\n")
          .filter((l) => l.includes("router"))
          .slice(-40)
          .join("\n")}\n`,
      );
    assert.deepEqual(report.failures.slice(0, 5), []);
  });

  it("keeps the old deployment serving when the new one fails its health check", async () => {
    const l = load();
    // Nothing listens on port 9999: the new instances never pass their readiness check.
    const d = await deploy(
      spec("broken", {
        health_check: { http_path: "/healthz", port: 9999, period_seconds: 1, failure_threshold: 3 },
      }),
    );
    assert.equal(d.phase, "ERROR");
    assert.match(JSON.stringify(d.progress), /failed its readiness health check/);
    const report = await l.stop();
    process.stdout.write(`# failed deploy: ${report.ok} requests served, ${report.failures.length} failed\n`);
    if (report.failures.length > 0)
      process.stdout.write(
        `# router log:\n${(server?.stderr() ?? "")
          .split("\n")
          .filter((l) => l.includes("router"))
          .slice(-30)
          .join("\n")}\n`,
      );
    assert.deepEqual(report.failures.slice(0, 5), []);
    const { app } = await client.getApp({ params: { app: APP } });
    assert.equal(app.active_deployment?.spec.services?.[0]?.envs?.[0]?.value, "v10");
  });

  it("restarts an instance killed with SIGKILL and serves through it again", async () => {
    const { instances } = await client.listInstances({ params: { app: APP } });
    const victim = instances.find((i) => i.ready && !i.draining);
    assert.ok(victim);
    // The sandbox's processes carry the instance's name in their command line (its container id).
    const pids = execFileSync("pgrep", ["-f", `runsc-sandbox .*${victim.instance_name}-`], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .filter((p) => p !== "");
    assert.ok(pids.length > 0, `found the sandbox of ${victim.instance_name}`);
    const killed = performance.now();
    for (const pid of pids) process.kill(Number(pid), "SIGKILL");
    await waitFor(
      async () => {
        const now = (await client.listInstances({ params: { app: APP } })).instances.find(
          (i) => i.instance_name === victim.instance_name,
        );
        return now !== undefined && now.restarts >= 1 && now.ready;
      },
      30_000,
      "the instance to be restarted and ready",
    );
    process.stdout.write(
      `# killed instance ready again after ${Math.round(performance.now() - killed)} ms\n`,
    );
  });
});
