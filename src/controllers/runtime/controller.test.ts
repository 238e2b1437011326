import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { FakeTimers } from "../../../test/helpers/fake-timers.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import type { ObjectKey, Resource } from "../../resources/meta.js";
import {
  type Controller,
  createController,
  type Reconciler,
  TerminalError,
  watchOwned,
} from "./controller.js";
import { exponentialBackoff } from "./rate-limiter.js";

describe("controller", () => {
  const started: Controller[] = [];
  afterEach(async () => {
    for (const controller of started.splice(0)) await controller.stop();
  });

  function start(reconcile: Reconciler, extra: { concurrency?: number; timers?: FakeTimers } = {}) {
    const timers = extra.timers ?? new FakeTimers();
    const terminal: string[] = [];
    const controller = createController({
      name: "test",
      forKind: "Widget",
      reconcile,
      concurrency: extra.concurrency ?? 1,
      queue: { timers, rateLimiter: exponentialBackoff({ baseDelayMs: 5, maxDelayMs: 1000 }) },
      onTerminalError: (key, err) => terminal.push(`${key.name}: ${err.message}`),
    });
    controller.start();
    started.push(controller);
    return { controller, timers, terminal };
  }

  it("retries a failing reconcile with exponential backoff, then forgets the key", async () => {
    const retriesSeen: number[] = [];
    const { controller, timers } = start(async (_key, ctx) => {
      retriesSeen.push(ctx.retries);
      if (retriesSeen.length <= 3) throw new Error("store unavailable");
      return {};
    });
    controller.enqueue({ namespace: "ns", name: "a" });
    for (let failures = 1; failures <= 3; failures++) {
      await waitFor(() => controller.stats().errors === failures, 2000, `failure ${failures}`);
      assert.equal(timers.delays.length, failures);
      timers.advance(timers.delays.at(-1) ?? 0);
    }
    await waitFor(() => controller.stats().reconciles === 4 && controller.idle(), 2000, "the success");
    assert.deepEqual(timers.delays, [5, 10, 20]);
    assert.deepEqual(retriesSeen, [0, 1, 2, 3]);
    controller.enqueue({ namespace: "ns", name: "a" });
    await waitFor(() => controller.stats().reconciles === 5 && controller.idle(), 2000, "a new reconcile");
    assert.equal(retriesSeen.at(-1), 0, "success forgot the failures");
  });

  it("never reconciles one key concurrently under a burst of 100 adds", async () => {
    const active = new Set<string>();
    const overlaps: string[] = [];
    const lastStart = new Map<string, number>();
    let maxParallel = 0;
    let tick = 0;
    const { controller } = start(
      async (key) => {
        if (active.has(key.name)) overlaps.push(key.name);
        active.add(key.name);
        maxParallel = Math.max(maxParallel, active.size);
        lastStart.set(key.name, ++tick);
        await nextMacrotask();
        await nextMacrotask();
        active.delete(key.name);
        return {};
      },
      { concurrency: 8 },
    );
    const lastAdd = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const name = `k${i % 5}`;
      controller.enqueue({ namespace: "ns", name });
      lastAdd.set(name, ++tick);
      if (i % 7 === 0) await nextMacrotask();
    }
    await waitFor(() => controller.idle(), 5000, "the queue to drain");
    assert.deepEqual(overlaps, []);
    assert.ok(maxParallel > 1, "different keys ran in parallel");
    for (const [name, added] of lastAdd) {
      assert.ok((lastStart.get(name) ?? 0) > added, `${name} was reconciled after its last add`);
    }
  });

  it("requeues after requeueAfter", async () => {
    let calls = 0;
    const { controller, timers } = start(async () => {
      calls++;
      return calls === 1 ? { requeueAfter: 250 } : {};
    });
    controller.enqueue({ name: "a" });
    await waitFor(() => timers.delays.length === 1, 2000, "the requeue");
    assert.deepEqual(timers.delays, [250]);
    timers.advance(250);
    await waitFor(() => calls === 2 && controller.idle(), 2000, "the second reconcile");
  });

  it("records a TerminalError and does not retry it", async () => {
    const { controller, timers, terminal } = start(async () => {
      throw new TerminalError("spec names a missing secret");
    });
    controller.enqueue({ namespace: "ns", name: "a" });
    await waitFor(() => controller.stats().terminalErrors === 1 && controller.idle(), 2000, "the failure");
    assert.deepEqual(terminal, ["a: spec names a missing secret"]);
    assert.equal(timers.pendingCount(), 0);
    assert.equal(controller.stats().errors, 0);
  });

  it("stop aborts the signal and waits for the in-flight reconcile; waiting keys are dropped", async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: ObjectKey[] = [];
    let aborted = false;
    const { controller } = start(async (key, ctx) => {
      seen.push(key);
      await blocked;
      aborted = ctx.signal.aborted;
      return {};
    });
    controller.enqueue({ namespace: "ns", name: "a" });
    controller.enqueue({ namespace: "ns", name: "b" });
    await waitFor(() => seen.length === 1, 2000, "the first reconcile");
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    await nextMacrotask();
    assert.equal(stopped, false);
    release();
    await stopping;
    assert.equal(aborted, true);
    assert.deepEqual(seen, [{ namespace: "ns", name: "a" }]);
  });

  it("watchOwned maps an owned object to its owners of the given kind", () => {
    const owned: Resource = {
      apiVersion: "v",
      kind: "Deployment",
      spec: {},
      metadata: {
        name: "shop-1",
        namespace: "acme",
        uid: "u",
        resourceVersion: "1",
        generation: 1,
        creationTimestamp: "2026-01-01T00:00:00Z",
        ownerReferences: [
          { apiVersion: "v", kind: "App", name: "shop", uid: "a" },
          { apiVersion: "v", kind: "Team", name: "acme", uid: "t" },
        ],
      },
    };
    assert.deepEqual(watchOwned("Deployment", "App").toKeys(owned), [{ namespace: "acme", name: "shop" }]);
  });

  it("rejects a concurrency below 1", () => {
    assert.throws(
      () => createController({ name: "x", forKind: "W", reconcile: async () => ({}), concurrency: 0 }),
      /concurrency/,
    );
  });
});
