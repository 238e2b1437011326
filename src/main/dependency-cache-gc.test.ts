/**
 * The server's dependency cache collection on a timer, over a real cache folder: an idle cache
 * goes, one a running build holds through the shared leases stays.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type CollectDependencyCachesResult,
  DependencyCacheLeases,
  takeDependencyCache,
} from "../build/index.js";
import { startDependencyCacheGc } from "./dependency-cache-gc.js";

describe("startDependencyCacheGc", () => {
  let root = "";
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "slipway-cache-gc-timer-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("collects on its interval, keeping the caches the builder's leases hold", async () => {
    const cacheRoot = join(root, "cache");
    const leases = new DependencyCacheLeases();
    const lastWeek = () => new Date(Date.now() - 8 * 24 * 3_600_000);
    const idle = await takeDependencyCache({
      cacheRoot,
      group: "nodejs",
      key: "a".repeat(32),
      leases,
      now: lastWeek,
    });
    idle.release();
    const running = await takeDependencyCache({
      cacheRoot,
      group: "nodejs",
      key: "b".repeat(32),
      leases,
      now: lastWeek,
    });
    const results: CollectDependencyCachesResult[] = [];
    let stop = () => {};
    // The collector's timer is unref'd; this one keeps the test's event loop alive meanwhile.
    let guard: NodeJS.Timeout | undefined;
    const first = new Promise<void>((resolve, reject) => {
      guard = setTimeout(() => reject(new Error("no collection within 10 s")), 10_000);
      stop = startDependencyCacheGc({
        cacheRoot,
        leases,
        intervalMs: 10,
        onResult: (r) => {
          results.push(r);
          resolve();
        },
        onError: reject,
      });
    });
    try {
      await first;
    } finally {
      clearTimeout(guard);
      stop();
      running.release();
    }
    assert.deepEqual(results[0], { removed: [`nodejs/${"a".repeat(32)}`], kept: 1 });
    assert.deepEqual(await readdir(join(cacheRoot, "nodejs")), ["b".repeat(32)]);
  });
});
