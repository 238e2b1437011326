/**
 * Benchmark: a config-only redeploy to live through the real stack (`slipway server`, gVisor
 * instances, HAProxy). An app from inline files (1 instance, DO's default readiness period of
 * 10 s) gets a new RUN_TIME env value; the clock runs from the API call until the router answers
 * with the new value. No build happens (the artifact is reused); the time is the App and
 * Deployment controllers, the new sandbox's start, its readiness check and the router's switch.
 * Side by side in the same rounds: the same app started as a bare host process until it answers
 * (the floor any redeploy pays), and a sandboxed instance's start-to-ready as the server reports
 * it. Then kill -9 of the instance's sandbox, until it is ready again (repair). Medians and
 * ratios go to bench/results/redeploy.json. Needs root and the test stack.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { getViaRouter } from "../test/helpers/router-get.js";
import { startServer } from "../test/helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "../test/helpers/test-stack.js";

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const APP = "redeploy";
const SERVER_JS = `const { createServer } = require("node:http");
createServer((req, res) => res.end(req.url === "/healthz" ? "ok\\n" : "version " + process.env.VERSION + "\\n"))
  .listen(Number(process.env.PORT ?? 8080));
`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function spec(version: string): AppSpec {
  return {
    name: APP,
    services: [
      {
        name: "web",
        http_port: 8080,
        instance_count: 1,
        instance_size_slug: "apps-s-1vcpu-1gb",
        run_command: "node server.js",
        termination: { drain_seconds: 1, grace_period_seconds: 2 },
        health_check: { http_path: "/healthz" },
        envs: [{ key: "VERSION", value: version, scope: "RUN_TIME" }],
      },
    ],
  };
}

/** GET / on 127.0.0.1:port every 5 ms until it answers 200. */
async function untilAnswers(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/", timeout: 250 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
    });
    if (ok) return;
    await delay(5);
  }
}

async function bare(dir: string, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(dir, "server.cjs")], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), VERSION: "bare" },
    stdio: "ignore",
  });
  try {
    await untilAnswers(port);
    return performance.now() - started;
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
}

/**
 * kill -9 of the running instance's sandbox, ROUNDS times: from the kill until the API shows the
 * instance restarted and ready again (the supervisor's backoff, a new sandbox, its readiness).
 */
async function repairRounds(client: Client, bareMs: number[], version: string) {
  const repair: number[] = [];
  const list = async () => (await client.listInstances({ params: { app: APP } })).instances;
  // One instance per round (scaled in place, no redeploy), each killed once: a first crash, which
  // the supervisor restarts after its initial backoff (crashes in a row back off further).
  const scaled = spec(version);
  (scaled.services?.[0] as { instance_count: number }).instance_count = ROUNDS;
  await client.updateApp({ params: { app: APP }, body: { spec: scaled } });
  for (let i = 0; (await list()).filter((x) => x.ready && !x.draining).length < ROUNDS; i++) {
    if (i > 6000) throw new Error(`${ROUNDS} instances were not ready within 60 s`);
    await delay(10);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const victim = (await list()).find((i) => i.ready && !i.draining && i.restarts === 0);
    if (victim === undefined) throw new Error("no ready instance to kill");
    const pids = execFileSync("pgrep", ["-f", `runsc-sandbox .*${victim.instance_name}-`], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .filter((p) => p !== "");
    const killed = performance.now();
    for (const pid of pids) process.kill(Number(pid), "SIGKILL");
    for (;;) {
      const now = (await list()).find((i) => i.instance_name === victim.instance_name);
      if (now !== undefined && now.restarts > victim.restarts && now.ready) break;
      if (performance.now() - killed > 60_000) throw new Error("the instance was not repaired within 60 s");
      await delay(10);
    }
    repair.push(performance.now() - killed);
    process.stdout.write(
      `repair ${round}: ready again ${Math.round(repair.at(-1) as number)} ms after kill -9\n`,
    );
    // The supervisor's backoff doubles for crashes in a row: let it settle between rounds.
    await delay(2000);
  }
  return {
    note: "kill -9 of an instance's sandbox until the API shows it restarted and ready; beside a bare process's start-to-answer (what restarting a bare process costs at least)",
    killToReadyMs: { median: median(repair), all: repair.map(Math.round) },
    ratioToBareStart: median(repair) / median(bareMs),
    targetMs: 2000,
  };
}

async function main(): Promise<void> {
  await sharedTestStack();
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-redeploy-"));
  writeFileSync(join(dir, "server.cjs"), SERVER_JS);
  const server = await startServer(join(dir, "data"), ["--stacks-dir", TEST_STACK_ROOT]);
  try {
    const client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dir, "data", "admin-token"), "utf8").trim(),
    });
    const host = `${APP}.localhost:${server.httpPort}`;
    const deployments = async (): Promise<DeploymentJson[]> =>
      (await client.listDeployments({ params: { app: APP }, query: {} })).deployments;
    const untilLive = async (version: string, limitMs: number) => {
      const deadline = performance.now() + limitMs;
      while (performance.now() < deadline) {
        const r = await getViaRouter(server.httpPort, host);
        if (r.body === `version ${version}\n`) return;
        await delay(5);
      }
      throw new Error(`${version} was not live within ${limitMs} ms`);
    };
    await client.createApp({
      body: {
        spec: spec("v0"),
        source: {
          files: [
            {
              path: "package.json",
              content: '{"name":"redeploy","private":true,"scripts":{"start":"node server.js"}}\n',
            },
            { path: "server.js", content: SERVER_JS },
          ],
        },
      },
    });
    await untilLive("v0", 300_000);
    const live: number[] = [];
    const active: number[] = [];
    const bareMs: number[] = [];
    const steps: Record<string, number>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      bareMs.push(await bare(dir, 20_000 + (process.pid % 20_000)));
      const before = new Set((await deployments()).map((d) => d.id));
      const started = performance.now();
      const startedAt = Date.now();
      await client.updateApp({ params: { app: APP }, body: { spec: spec(`v${round}`) } });
      await untilLive(`v${round}`, 120_000);
      live.push(performance.now() - started);
      let d: DeploymentJson | undefined;
      for (let i = 0; i < 2000 && d?.phase !== "ACTIVE"; i++) {
        d = (await deployments()).find((x) => !before.has(x.id));
        if (d?.phase !== "ACTIVE") await delay(10);
      }
      if (d?.phase !== "ACTIVE") throw new Error(`round ${round}: deployment ${d?.id} is ${d?.phase}`);
      active.push(Date.parse(d.phase_last_updated_at ?? "") - startedAt);
      const inst = (await client.listInstances({ params: { app: APP } })).instances.find(
        (i) => i.deployment_id === d?.id,
      );
      const at = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso) - startedAt);
      const step = {
        deploymentCreated: at(d.created_at),
        instanceCreated: at(inst?.created_at),
        sandboxStarted: at(inst?.started_at),
        instanceReady: at(inst?.ready_at),
        active: active.at(-1) as number,
        live: Math.round(live.at(-1) as number),
      };
      steps.push(step);
      process.stdout.write(
        `round ${round}: ${JSON.stringify(step)} (ms after the API call), bare start ${bareMs.at(-1)?.toFixed(0)} ms\n`,
      );
      // Let the old instance drain away before the next round.
      await delay(3000);
    }
    const result = {
      benchmark: "redeploy",
      rounds: ROUNDS,
      note: "config-only redeploy (RUN_TIME env change) from the API call to the router answering with the new value, 1 instance, readiness period 10 s (DO default); beside a bare host process's start-to-answer",
      redeployToLiveMs: { median: median(live), all: live.map(Math.round) },
      redeployToActiveMs: { median: median(active), all: active },
      bareStartMs: { median: median(bareMs), all: bareMs.map(Math.round) },
      ratioLiveToBareStart: median(live) / median(bareMs),
      targetMs: 1000,
      medianStepsMs: Object.fromEntries(
        Object.keys(steps[0] ?? {}).map((k) => [k, median(steps.map((x) => x[k] as number))]),
      ),
      repair: await repairRounds(client, bareMs, `v${ROUNDS}`),
    };
    mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
    writeFileSync(
      join(repoRoot(), "bench", "results", "redeploy.json"),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
