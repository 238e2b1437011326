/**
 * Benchmark: waking a sleeping service (scale to zero, ADR 0023) through the real stack —
 * `slipway server --min-inactivity-seconds 2`, HAProxy, the activator, a gVisor instance. Each
 * round waits until the service is suspended (no sandbox), sends one plain GET through the router
 * and takes the time to its first byte. The app's answer says when its process began to listen,
 * which splits that time into the instance's own start (request -> the app accepts connections:
 * wake write, instance controller, runsc, node) and what scale to zero adds on top (the activator
 * noticing the app is up, then proxying: target <= 500 ms). A request to an awake app through the
 * router is the baseline. Medians go to bench/results/scale-to-zero.json. Needs root.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "../src/api/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { startServer } from "../test/helpers/server-process.js";
import { listeningSince, SLEEPY_FILES, sleepySpec } from "../test/helpers/sleepy-app.js";
import { sharedTestStack, TEST_STACK_ROOT } from "../test/helpers/test-stack.js";
import { waitFor } from "../test/helpers/wait-for.js";

const ROUNDS = 8;
const SLEEPY = `benchsleepy${process.pid}`;
const AWAKE = `benchawake${process.pid}`;

/** One GET through the router: time to the response head (epoch ms) and the body. */
function get(port: number, host: string): Promise<{ status: number; body: string; firstByteAt: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (res) => {
      const firstByteAt = Date.now();
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, firstByteAt }));
    });
    req.on("error", reject);
    req.end();
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  await sharedTestStack();
  const dir = mkdtempSync(join(tmpdir(), "slipway-bench-s2z-"));
  const dataDir = join(dir, "data");
  const server = await startServer(dataDir, [
    "--stacks-dir",
    TEST_STACK_ROOT,
    "--http-listen",
    "127.0.0.1:0",
    "--min-inactivity-seconds",
    "2",
  ]).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const ttfb: number[] = [];
  const ownStart: number[] = [];
  const added: number[] = [];
  const sandboxCreated: number[] = [];
  const awake: number[] = [];
  try {
    const client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
    });
    const host = (app: string) => `${app}.localhost:${server.httpPort}`;
    const instance = async (app: string) =>
      (await client.listInstances({ params: { app } })).instances.find((i) => !i.draining);
    await client.createApp({
      body: {
        spec: sleepySpec(SLEEPY, { afterSeconds: 2, loadingPage: true }),
        source: { files: SLEEPY_FILES },
      },
    });
    await client.createApp({ body: { spec: sleepySpec(AWAKE), source: { files: SLEEPY_FILES } } });
    for (const app of [SLEEPY, AWAKE])
      await waitFor(async () => (await instance(app))?.ready === true, 300_000, `${app} to be ready`);
    for (let round = 0; round < ROUNDS; round++) {
      await waitFor(async () => (await instance(SLEEPY))?.phase === "Suspended", 60_000, "suspended");
      const sent = Date.now();
      const answer = await get(server.httpPort, host(SLEEPY));
      const since = listeningSince(answer.body);
      if (answer.status !== 200 || since === undefined)
        throw new Error(`round ${round}: ${answer.status} ${answer.body}`);
      ttfb.push(answer.firstByteAt - sent);
      ownStart.push(since - sent);
      added.push(answer.firstByteAt - since);
      const started = (await instance(SLEEPY))?.started_at;
      if (started !== undefined) sandboxCreated.push(Date.parse(started) - sent);
      const base = Date.now();
      const warm = await get(server.httpPort, host(AWAKE));
      if (warm.status !== 200) throw new Error(`awake app answered ${warm.status}`);
      awake.push(warm.firstByteAt - base);
      process.stdout.write(
        `round ${round}: first byte after ${ttfb.at(-1)} ms; app listening after ${ownStart.at(-1)} ms\n`,
      );
      // The next round needs a ready instance to go idle again.
      await waitFor(async () => (await instance(SLEEPY))?.ready === true, 60_000, "ready again");
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    benchmark: "scale-to-zero",
    date: new Date().toISOString(),
    rounds: ROUNDS,
    unit: "ms",
    wakeTimeToFirstByte: { medianMs: median(ttfb), maxMs: Math.max(...ttfb), samples: ttfb },
    instanceOwnStart: {
      medianMs: median(ownStart),
      samples: ownStart,
      notes:
        "request sent -> the woken app's process listening (wake write, instance controller, runsc, node)",
    },
    addedByScaleToZero: {
      medianMs: median(added),
      maxMs: Math.max(...added),
      targetMs: 500,
      samples: added,
      notes: "the app listening -> first byte of the held request (activator probe, proxy, HAProxy)",
    },
    sandboxCreatedAfter: { medianMs: median(sandboxCreated), samples: sandboxCreated },
    awakeAppTimeToFirstByte: { medianMs: median(awake), samples: awake },
    notes:
      "node service from inline files on the shared test stack, instance apps-s-1vcpu-0.5gb; the app and the benchmark read the same host clock (gVisor passes it through)",
  };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(
    join(repoRoot(), "bench", "results", "scale-to-zero.json"),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
