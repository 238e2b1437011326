/**
 * Sandboxes and HAProxy outlive `slipway server` (ADR 0026), through the real stack: an app with
 * two gVisor instances behind HAProxy serves a bounded load loop on loopback while the server is
 * stopped with SIGTERM, and in another case killed with SIGKILL, and started again on the same
 * data directory: no request fails, the same sandboxes and the same HAProxy master serve before
 * and after, the instances stay ready and their output still reaches the RUN log. A server killed
 * during a rollout converges after its restart: the deployment ends ACTIVE (or ERROR with a
 * reason), and runsc runs exactly one sandbox per remaining Instance. Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson, type InstanceJson } from "../src/api/index.js";
import { sendCommand } from "../src/router/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { type Load, startLoad } from "./helpers/http-load.js";
import { getViaRouter } from "./helpers/router-get.js";
import { type ServerProcess, startServer, stopLeftovers } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const APP = "adopt";

/** A dependency-free Node app: answers with its version, logs the word it is asked to say. */
const FILES = [
  {
    path: "package.json",
    content: JSON.stringify({ name: "adopt", version: "1.0.0", scripts: { start: "node server.js" } }),
  },
  {
    path: "server.js",
    content: `const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/say/")) console.log("said " + req.url.slice(5));
  res.end("Hello from Slipway " + (process.env.VERSION || "") + "\\n");
});
server.keepAliveTimeout = 30000;
server.listen(Number(process.env.PORT || 8080), () => console.log("listening"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`,
  },
];

describe("a restarted server adopts what the previous one left running", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-adopt-${process.pid}-`));
  const dataDir = join(dir, "data");
  const stateRoot = join(dataDir, "runtime", "state");
  let server: ServerProcess | undefined;
  let prefix = "";
  let httpPort = 0;
  let httpsPort = 0;
  let client: Client;
  const loads: Load[] = [];

  function spec(version: string): AppSpec {
    return {
      name: APP,
      services: [
        {
          name: "web",
          http_port: 8080,
          instance_count: 2,
          instance_size_slug: "apps-s-1vcpu-1gb",
          run_command: "node server.js",
          termination: { drain_seconds: 2, grace_period_seconds: 5 },
          health_check: { http_path: "/", period_seconds: 1, failure_threshold: 3 },
          envs: [{ key: "VERSION", value: version, scope: "RUN_TIME" }],
        },
      ],
    };
  }

  async function start(): Promise<void> {
    server = await startServer(
      dataDir,
      // Fixed ports across restarts, as a user's server has: a new port would change HAProxy's config.
      [
        "--stacks-dir",
        TEST_STACK_ROOT,
        "--http-listen",
        `127.0.0.1:${httpPort}`,
        "--https-listen",
        `127.0.0.1:${httpsPort}`,
        "--verbose",
      ],
      { keepRunning: true, ...(prefix === "" ? {} : { networkPrefix: prefix }) },
    );
    prefix = server.prefix;
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
    });
  }

  async function deployments(): Promise<DeploymentJson[]> {
    return (await client.listDeployments({ params: { app: APP }, query: {} })).deployments;
  }

  async function instances(): Promise<InstanceJson[]> {
    return (await client.listInstances({ params: { app: APP } })).instances;
  }

  /** Running sandboxes by id, from runsc itself. */
  function sandboxes(): string[] {
    const text = execFileSync("runsc", ["--root", stateRoot, "list", "--format=json"], {
      encoding: "utf8",
    }).trim();
    const listed = (text === "" || text === "null" ? [] : JSON.parse(text)) as {
      id: string;
      status: string;
    }[];
    return listed
      .filter((c) => c.status === "running")
      .map((c) => c.id)
      .sort();
  }

  function haproxyPid(): number {
    return Number(readFileSync(join(dataDir, "router", "haproxy.pid"), "utf8").trim());
  }

  /** The serving worker's pid: unchanged means HAProxy was not reloaded. */
  async function haproxyWorker(): Promise<number> {
    const info = await sendCommand(join(dataDir, "router", "admin.sock"), "show info", 5000);
    return Number(/^Pid: (\d+)$/m.exec(info)?.[1] ?? 0);
  }

  function load(): Load {
    const l = startLoad({
      port: httpPort,
      host: `${APP}.localhost:${httpPort}`,
      keepAliveClients: 2,
      closeClients: 1,
      maxRequests: 200_000,
      maxMs: 300_000,
      check: (body) => body.startsWith("Hello from Slipway"),
    });
    loads.push(l);
    return l;
  }

  async function allReady(): Promise<boolean> {
    const list = await instances().catch(() => []);
    return list.length === 2 && list.every((i) => i.ready && !i.draining);
  }

  /** The RUN log files of every instance (the API does not serve RUN logs yet). */
  function runLog(): string {
    const logs = join(dataDir, "logs");
    let text = "";
    for (const team of readdirSync(logs))
      for (const file of readdirSync(join(logs, team, "RUN"), { withFileTypes: true }))
        if (file.isFile()) text += readFileSync(join(logs, team, "RUN", file.name), "utf8");
    return text;
  }

  /** Stops the server in `how`, checks HAProxy serves alone, starts it again: the load never fails. */
  async function restartUnderLoad(how: "SIGTERM" | "SIGKILL"): Promise<void> {
    const sandboxesBefore = sandboxes();
    const pidBefore = haproxyPid();
    const workerBefore = await haproxyWorker();
    assert.equal(sandboxesBefore.length, 2, `two sandboxes run: ${sandboxesBefore.join(", ")}`);
    const l = load();
    await waitFor(() => l.report.ok > 20, 30_000, "load through the router");
    if (how === "SIGTERM") {
      const code = await server?.stop();
      assert.equal(code, 0, `the server stopped cleanly; it said: ${server?.stderr().slice(-3000)}`);
    } else await server?.kill();
    const whileDown = l.report.ok;
    await waitFor(
      () => l.report.ok > whileDown + 50,
      30_000,
      "HAProxy and the instances to serve without a server",
    );
    const restarted = performance.now();
    await start();
    const up = Math.round(performance.now() - restarted);
    await waitFor(allReady, 60_000, "the instances to be ready after the restart");
    process.stdout.write(`# ${how}: server answering ${up} ms after its start, instances ready\n`);
    const afterStart = l.report.ok;
    await waitFor(() => l.report.ok > afterStart + 50, 30_000, "requests after the restart");
    const report = await l.stop();
    process.stdout.write(
      `# ${how} restart: ${report.ok} requests served, ${report.failures.length} failed\n`,
    );
    assert.deepEqual(report.failures.slice(0, 5), []);
    assert.deepEqual(sandboxes(), sandboxesBefore, "the same sandboxes serve");
    assert.equal(haproxyPid(), pidBefore, "the same HAProxy master serves");
    assert.equal(await haproxyWorker(), workerBefore, "nothing changed: HAProxy was not reloaded");
    assert.ok(
      (await instances()).every((i) => i.restarts === 0),
      "no instance was restarted",
    );
    // The adopted instances' output still reaches the RUN log.
    const word = `${how}-${process.pid}`;
    assert.equal((await getViaRouter(httpPort, `${APP}.localhost:${httpPort}`, `/say/${word}`)).status, 200);
    await waitFor(
      async () => (await runLog()).includes(`said ${word}`),
      30_000,
      "the adopted instance's output in the RUN log",
    );
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    httpPort = await freePort();
    httpsPort = await freePort();
    await start();
    await client.createApp({ body: { spec: spec("v0"), source: { files: FILES } } });
    await waitFor(async () => (await deployments())[0]?.phase === "ACTIVE", 300_000, "the first deployment");
    await waitFor(
      async () => (await getViaRouter(httpPort, `${APP}.localhost:${httpPort}`)).status === 200,
      30_000,
      "the app through the router",
    );
  });

  after(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    if (prefix !== "") await stopLeftovers(dataDir, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps serving across a SIGTERM of the server and adopts the same sandboxes and HAProxy", async () => {
    await restartUnderLoad("SIGTERM");
  });

  it("keeps serving across a kill -9 of the server and adopts the same sandboxes and HAProxy", async () => {
    await restartUnderLoad("SIGKILL");
  });

  it("restarts an instance whose sandbox ended while no server ran, and stops a sandbox nobody owns", async () => {
    const [victim, survivor] = sandboxes();
    assert.ok(victim !== undefined && survivor !== undefined);
    assert.equal(await server?.stop(), 0);
    execFileSync("runsc", ["--root", stateRoot, "kill", victim, "KILL"]);
    // runsc kill returns once the signal is sent; the sandbox ends a moment later. It must have
    // ended before the next server looks, or that server adopts it and sees it end.
    // runsc calls an exiting sandbox "stopped" while its process is still going: wait for both.
    const { pid } = JSON.parse(
      execFileSync("runsc", ["--root", stateRoot, "state", victim], { encoding: "utf8" }),
    ) as { pid: number };
    await waitFor(
      () => {
        const state = execFileSync("runsc", ["--root", stateRoot, "state", victim], { encoding: "utf8" });
        return (JSON.parse(state) as { status: string }).status !== "running" && !existsSync(`/proc/${pid}`);
      },
      10_000,
      "the killed sandbox to stop",
    );
    // An orphan: a sandbox under this server's state root whose labels name no Instance.
    const bundle = join(dir, "orphan");
    const config = JSON.parse(
      readFileSync(join(dataDir, "runtime", "bundles", survivor, "config.json"), "utf8"),
    ) as { annotations: Record<string, string>; linux: { namespaces: { type: string; path?: string }[] } };
    config.annotations["dev.slipway.label.uid"] = "no-such-instance";
    config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== "network");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), JSON.stringify(config));
    const orphan = `orphan-${process.pid}`;
    execFileSync("runsc", ["--root", stateRoot, "--network=none", "create", "--bundle", bundle, orphan], {
      stdio: "ignore",
    });
    execFileSync("runsc", ["--root", stateRoot, "--network=none", "start", orphan]);
    assert.ok(sandboxes().includes(orphan));
    await start();
    const name = victim.replace(/-\d+$/, "");
    await waitFor(
      async () => {
        const list = await instances();
        return (
          list.length === 2 &&
          list.every((i) => i.ready) &&
          (list.find((i) => i.instance_name === name)?.restarts ?? 0) >= 1
        );
      },
      60_000,
      "the instance whose sandbox ended to run again",
    );
    const now = sandboxes();
    assert.ok(!now.includes(orphan), `the orphan was stopped: ${now.join(", ")}`);
    assert.ok(now.includes(survivor), "the other instance was adopted");
    assert.ok(!now.includes(victim));
    assert.equal(now.length, 2);
    const restarted = readFileSync(
      join(dataDir, "logs", readdirSync(join(dataDir, "logs"))[0] ?? "", "RUN_RESTARTED", `${name}.log`),
      "utf8",
    );
    assert.match(restarted, /ended while the server was down/);
  });

  it("converges after a kill -9 during a rollout, with one sandbox per instance", async () => {
    const before = new Set((await deployments()).map((d) => d.id));
    await client.updateApp({ params: { app: APP }, body: { spec: spec("v1") } });
    let rollout: DeploymentJson | undefined;
    await waitFor(
      async () => {
        rollout = (await deployments()).find((d) => !before.has(d.id));
        return (
          rollout?.phase === "DEPLOYING" && (await instances()).some((i) => i.deployment_id === rollout?.id)
        );
      },
      120_000,
      "the new deployment to be DEPLOYING",
    );
    await server?.kill();
    await start();
    const id = rollout?.id ?? "";
    let ended: DeploymentJson | undefined;
    await waitFor(
      async () => {
        ended = (await deployments()).find((d) => d.id === id);
        return ended !== undefined && ["ACTIVE", "ERROR"].includes(ended.phase);
      },
      180_000,
      "the rollout to end",
    );
    assert.ok(ended !== undefined);
    if (ended.phase === "ERROR") assert.match(JSON.stringify(ended.progress), /\w/, "an ERROR says why");
    else assert.equal(ended.phase, "ACTIVE");
    // Old instances drain and go; then runsc runs exactly the remaining Instances, once each.
    const settled = async () => {
      const list = await instances();
      const names = list.map((i) => i.instance_name).sort();
      const running = sandboxes().map((s) => s.replace(/-\d+$/, ""));
      return (
        list.length === 2 && list.every((i) => i.ready) && JSON.stringify(running) === JSON.stringify(names)
      );
    };
    await waitFor(settled, 120_000, "one sandbox per remaining instance").catch(async (err: unknown) => {
      throw new Error(
        `${String(err)}: instances ${JSON.stringify(await instances())}, sandboxes ${sandboxes().join(", ")}`,
      );
    });
    const answer = await getViaRouter(httpPort, `${APP}.localhost:${httpPort}`);
    assert.equal(answer.status, 200);
    if (ended.phase === "ACTIVE") assert.match(answer.body, /v1/);
  });
});
