/**
 * Benchmark: one small hashed asset (Vite's CSS, br) through HAProxy + the static server, with
 * the edge cache and with `disable_edge_cache`, and straight to the static server as a baseline;
 * requests/s and p50/p99 latency. The load runs in a worker thread (its own event loop, so it does
 * not queue behind the server's) over 16 keep-alive connections on loopback, in interleaved
 * rounds so that machine noise hits every mode. Writes bench/results/static.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { SITE_HEADER } from "../src/router/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { startStaticStack } from "../test/helpers/static-stack.js";

const ASSET = "/assets/index-DiwrgTda.css";
const CONCURRENCY = 16;
const ROUNDS = 5;
const PER_ROUND = 2000;
const WARMUP = 500;

interface Target {
  port: number;
  headers: Record<string, string>;
}

/** Sends `count` requests over `CONCURRENCY` keep-alive connections; latencies in ms. */
async function load(target: Target, count: number): Promise<{ latencies: number[]; seconds: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      const req = request(
        { host: "127.0.0.1", port: target.port, path: ASSET, headers: target.headers, agent },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            latencies.push(performance.now() - t);
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next += 1;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, seconds };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(3));
}

async function main(): Promise<void> {
  const dist = join(repoRoot(), "test/fixtures/static/vite-dist");
  const stack = await startStaticStack([
    { spec: { name: "cached", static_sites: [{ name: "web" }] }, roots: { web: dist } },
    {
      spec: { name: "uncached", disable_edge_cache: true, static_sites: [{ name: "web" }] },
      roots: { web: dist },
    },
  ]);
  try {
    stack.sites.set("direct/web", { root: dist });
    const br = { "accept-encoding": "br" };
    const targets: Record<string, Target> = {
      haproxy_edge_cache: { port: stack.port, headers: { ...br, host: "cached.localhost" } },
      haproxy_no_cache: { port: stack.port, headers: { ...br, host: "uncached.localhost" } },
      static_server_direct: { port: stack.server.port, headers: { ...br, [SITE_HEADER]: "direct/web" } },
    };
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { targets } });
    const results = await new Promise<Record<string, { latencies: number[]; seconds: number }>>(
      (resolve, reject) => {
        worker.on("message", resolve);
        worker.on("error", reject);
      },
    );
    await worker.terminate();
    const modes = Object.fromEntries(
      Object.entries(results).map(([mode, r]) => [
        mode,
        {
          requests: r.latencies.length,
          requests_per_second: Math.round(r.latencies.length / r.seconds),
          p50_ms: quantile(r.latencies, 0.5),
          p99_ms: quantile(r.latencies, 0.99),
        },
      ]),
    );
    const served = stack.accesses.filter((a) => a.url === ASSET);
    const result = {
      benchmark: "static",
      asset: `${ASSET} (br)`,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      requests_per_round: PER_ROUND,
      static_server_requests: {
        cached: served.filter((a) => a.site === "cached/web").length,
        uncached: served.filter((a) => a.site === "uncached/web").length,
        direct: served.filter((a) => a.site === "direct/web").length,
      },
      modes,
      node: process.version,
      date: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
    writeFileSync(
      join(repoRoot(), "bench", "results", "static.json"),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    await stack.close();
  }
}

async function client(targets: Record<string, Target>): Promise<void> {
  const out: Record<string, { latencies: number[]; seconds: number }> = {};
  for (const [mode, target] of Object.entries(targets)) {
    await load(target, WARMUP);
    out[mode] = { latencies: [], seconds: 0 };
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, target] of Object.entries(targets)) {
      const r = await load(target, PER_ROUND);
      const acc = out[mode];
      if (acc === undefined) continue;
      acc.latencies.push(...r.latencies);
      acc.seconds += r.seconds;
    }
  }
  parentPort?.postMessage(out);
}

if (isMainThread) await main();
else await client((workerData as { targets: Record<string, Target> }).targets);
