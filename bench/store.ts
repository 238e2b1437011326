/**
 * Benchmark: the embedded store with 1,000 apps — create, get and list latency (p50/p99) — beside
 * a baseline of the same operations on a bare better-sqlite3 table (WAL, synchronous FULL, JSON
 * rows) in the same process, interleaved; and watch fan-out: how long 50 watchers take to see
 * each of 200 updates. Writes bench/results/store.json.
 */

import { setMaxListeners } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { App } from "../src/resources/index.js";
import { openSqliteStore } from "../src/store/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";

const N = 1000;

function quantiles(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(4));
  return { p50: at(0.5), p99: at(0.99) };
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function app(i: number): Omit<App, "metadata"> & { metadata: { name: string; namespace: string } } {
  const name = `app-${i}`;
  return {
    apiVersion: "slipway.dev/v1alpha1",
    kind: "App",
    metadata: { name, namespace: "bench" },
    spec: {
      appSpec: {
        name,
        services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git", branch: "main" } }],
      },
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "slipway-bench-store-"));
try {
  const store = openSqliteStore({ path: join(dir, "store.db") });
  const raw = new Database(join(dir, "raw.db"));
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  raw.exec("create table objects (ns text, name text, body text, primary key (ns, name))");
  const insert = raw.prepare("insert into objects values (?, ?, ?)");
  const select = raw.prepare("select body from objects where ns = ? and name = ?");
  const selectAll = raw.prepare("select body from objects where ns = ? order by name");

  const create: number[] = [];
  const createBase: number[] = [];
  for (let i = 0; i < N; i++) {
    create.push(await timedAsync(() => store.create(app(i))));
    createBase.push(timed(() => insert.run("bench", `app-${i}`, JSON.stringify(app(i)))));
  }
  const get: number[] = [];
  const getBase: number[] = [];
  for (let i = 0; i < N; i++) {
    const k = (i * 7919) % N;
    get.push(await timedAsync(() => store.get("App", { namespace: "bench", name: `app-${k}` })));
    getBase.push(timed(() => JSON.parse((select.get("bench", `app-${k}`) as { body: string }).body)));
  }
  const list: number[] = [];
  const listBase: number[] = [];
  for (let i = 0; i < 30; i++) {
    list.push(await timedAsync(() => store.list("App", { namespace: "bench" })));
    listBase.push(timed(() => (selectAll.all("bench") as { body: string }[]).map((r) => JSON.parse(r.body))));
  }

  // Watch fan-out: 50 watchers; for each update, the time until the last watcher has it.
  const watchers = 50;
  const updates = 200;
  const abort = new AbortController();
  setMaxListeners(watchers + 10, abort.signal);
  const seen = new Map<string, number>();
  const done = new Map<string, () => void>();
  const sentAt = new Map<string, number>();
  const fanout: number[] = [];
  const { resourceVersion } = await store.list("App", { namespace: "bench", limit: 1 });
  const loops = Array.from({ length: watchers }, async () => {
    for await (const ev of store.watch<App>("App", {
      namespace: "bench",
      resourceVersion,
      signal: abort.signal,
    })) {
      if (ev.type !== "MODIFIED") continue;
      const rv = ev.object.metadata.name;
      const n = (seen.get(rv) ?? 0) + 1;
      seen.set(rv, n);
      if (n === watchers) {
        fanout.push(performance.now() - (sentAt.get(rv) as number));
        done.get(rv)?.();
      }
    }
  });
  for (let i = 0; i < updates; i++) {
    const current = await store.get<App>("App", { namespace: "bench", name: `app-${i}` });
    current.metadata.labels = { touched: String(i) };
    const key = current.metadata.name;
    const delivered = new Promise<void>((resolve) => done.set(key, resolve));
    sentAt.set(key, performance.now());
    await store.update(current);
    await delivered;
  }
  abort.abort();
  await Promise.allSettled(loops);
  await store.close();
  raw.close();

  const ratio = (a: number[], b: number[]) => Number((quantiles(a).p50 / quantiles(b).p50).toFixed(2));
  const result = {
    benchmark: "store",
    date: new Date().toISOString(),
    apps: N,
    ms: {
      create: quantiles(create),
      create_baseline: quantiles(createBase),
      get: quantiles(get),
      get_baseline: quantiles(getBase),
      list_1000: quantiles(list),
      list_1000_baseline: quantiles(listBase),
      watch_fanout_50: quantiles(fanout),
    },
    p50_ratio_to_baseline: {
      create: ratio(create, createBase),
      get: ratio(get, getBase),
      list: ratio(list, listBase),
    },
  };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(join(repoRoot(), "bench", "results", "store.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
