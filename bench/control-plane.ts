/**
 * Benchmark: the control plane as users reach it — `slipway server` (real binary, fresh data
 * directory) with 1,000 apps created through the HTTP API and the typed client: create, get and
 * list latency (p50/p99), beside the same operations on an in-process SQLite store as the
 * baseline (interleaved); and the server's resident memory idle before and after (target
 * <= 100 MB), sampled for 50 s. Writes bench/results/control-plane.json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "../src/api/index.js";
import type { App } from "../src/resources/index.js";
import { openSqliteStore } from "../src/store/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";

const N = Number(process.env.BENCH_APPS ?? 1000);
const root = repoRoot();

function quantiles(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(3));
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return Number((kb / 1024).toFixed(1));
}

/** RSS every 2 s for 50 s: V8 returns the heap grown in a burst only after ~20 s of idleness. */
async function sampleRss(pid: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    samples.push(rssMiB(pid));
  }
  return samples;
}

const spec = (i: number) => ({
  name: `app-${i}`,
  services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git", branch: "main" } }],
});

const dir = mkdtempSync(join(tmpdir(), "slipway-bench-cp-"));
const child = spawn(
  process.execPath,
  [join(root, "bin", "slipway.js"), "server", "--data-dir", join(dir, "data"), "--listen", "127.0.0.1:0"],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /API listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  const emptySamples = await sampleRss(child.pid as number);
  const rssIdleEmpty = emptySamples[emptySamples.length - 1] as number;
  const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
  const client = createClient({ baseUrl: url, token });
  const store = openSqliteStore({ path: join(dir, "baseline.db") });
  const appObject = (i: number) => ({
    apiVersion: "slipway.dev/v1alpha1",
    kind: "App" as const,
    metadata: { name: `app-${i}`, namespace: "default" },
    spec: { appSpec: spec(i) },
  });

  const create: number[] = [];
  const createBase: number[] = [];
  for (let i = 0; i < N; i++) {
    create.push(await timed(() => client.createApp({ body: { spec: spec(i) } })));
    createBase.push(await timed(() => store.create<App>(appObject(i))));
  }
  const get: number[] = [];
  const getBase: number[] = [];
  for (let i = 0; i < N; i++) {
    const k = (i * 7919) % N;
    get.push(await timed(() => client.getApp({ params: { app: `app-${k}` } })));
    getBase.push(await timed(() => store.get("App", { namespace: "default", name: `app-${k}` })));
  }
  const list: number[] = [];
  const listBase: number[] = [];
  for (let i = 0; i < 20; i++) {
    list.push(await timed(() => client.listApps({ query: {} })));
    listBase.push(await timed(() => store.list("App", { namespace: "default" })));
  }
  // V8 gives back the heap it grew during the burst only once the process has been idle for a
  // while (its memory reducer runs after ~20 s without allocation): sample for 50 s.
  const rssAfterLoad = rssMiB(child.pid as number);
  const samples = await sampleRss(child.pid as number);
  const rssIdleLoaded = samples[samples.length - 1] as number;
  await store.close();
  const ratio = (a: number[], b: number[]) => Number((quantiles(a).p50 / quantiles(b).p50).toFixed(1));
  const result = {
    benchmark: "control-plane",
    date: new Date().toISOString(),
    apps: N,
    ms: {
      api_create: quantiles(create),
      store_create_baseline: quantiles(createBase),
      api_get: quantiles(get),
      store_get_baseline: quantiles(getBase),
      api_list_all: quantiles(list),
      store_list_all_baseline: quantiles(listBase),
    },
    p50_ratio_api_to_store: {
      create: ratio(create, createBase),
      get: ratio(get, getBase),
      list: ratio(list, listBase),
    },
    server_rss_mib: {
      idle_empty: rssIdleEmpty,
      idle_empty_samples_every_2s: emptySamples,
      right_after_load: rssAfterLoad,
      idle_with_apps: rssIdleLoaded,
      idle_samples_every_2s: samples,
      target: 100,
    },
  };
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "control-plane.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
