import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeTimers } from "../../../test/helpers/fake-timers.js";
import { exponentialBackoff } from "./rate-limiter.js";
import { createWorkQueue } from "./work-queue.js";

function queueWithFakeTimers() {
  const timers = new FakeTimers();
  const queue = createWorkQueue({
    timers,
    rateLimiter: exponentialBackoff({ baseDelayMs: 5, maxDelayMs: 40 }),
  });
  return { timers, queue };
}

describe("work queue", () => {
  it("hands out keys in order and de-duplicates keys that wait", async () => {
    const { queue } = queueWithFakeTimers();
    for (const key of ["a", "b", "a", "c", "b"]) queue.add(key);
    assert.equal(queue.length(), 3);
    assert.deepEqual([await queue.get(), await queue.get(), await queue.get()], ["a", "b", "c"]);
  });

  it("never hands out a key being processed; one added meanwhile waits again after done", async () => {
    const { queue } = queueWithFakeTimers();
    queue.add("a");
    assert.equal(await queue.get(), "a");
    queue.add("a");
    queue.add("a");
    assert.equal(queue.length(), 0, "a is processing, so it does not wait yet");
    let second: string | undefined;
    const getting = queue.get().then((key) => {
      second = key;
    });
    await Promise.resolve();
    assert.equal(second, undefined);
    queue.done("a");
    await getting;
    assert.equal(second, "a");
    queue.done("a");
    assert.ok(queue.idle());
  });

  it("a waiting get receives the next add", async () => {
    const { queue } = queueWithFakeTimers();
    const next = queue.get();
    queue.add("x");
    assert.equal(await next, "x");
  });

  it("addAfter queues after the delay and keeps the earliest of several", async () => {
    const { queue, timers } = queueWithFakeTimers();
    queue.addAfter("a", 100);
    queue.addAfter("a", 30);
    queue.addAfter("a", 200);
    timers.advance(29);
    assert.equal(queue.length(), 0);
    assert.ok(!queue.idle(), "a delayed key keeps the queue busy");
    timers.advance(1);
    assert.equal(queue.length(), 1);
    timers.advance(500);
    assert.equal(queue.length(), 1, "the later delayed adds were replaced, not added");
    assert.equal(timers.pendingCount(), 0);
  });

  it("addRateLimited backs off exponentially per key up to the cap; forget resets", () => {
    const { queue, timers } = queueWithFakeTimers();
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited("a");
      timers.advance(1000);
    }
    queue.addRateLimited("b");
    assert.deepEqual(timers.delays, [5, 10, 20, 40, 40, 40, 5]);
    assert.equal(queue.retries("a"), 6);
    queue.forget("a");
    assert.equal(queue.retries("a"), 0);
    queue.addRateLimited("a");
    assert.equal(timers.delays.at(-1), 5);
  });

  it("shutDown hands out what waits, ignores new adds, cancels delayed ones and waits for done", async () => {
    const { queue, timers } = queueWithFakeTimers();
    queue.add("a");
    queue.add("b");
    queue.addAfter("c", 10);
    assert.equal(await queue.get(), "a");
    let drained = false;
    const shutDown = queue.shutDown().then(() => {
      drained = true;
    });
    queue.add("d");
    queue.add("a");
    assert.equal(timers.pendingCount(), 0);
    assert.equal(await queue.get(), "b");
    assert.equal(await queue.get(), undefined);
    queue.done("a");
    await Promise.resolve();
    assert.equal(drained, false, "b is still processing");
    queue.done("b");
    await shutDown;
    assert.equal(await queue.get(), undefined, "a re-added during shutdown is dropped");
  });

  it("shutDown wakes getters that wait on an empty queue", async () => {
    const { queue } = queueWithFakeTimers();
    const waiting = [queue.get(), queue.get()];
    await queue.shutDown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
  });

  it("exponentialBackoff rejects a cap below the base", () => {
    assert.throws(() => exponentialBackoff({ baseDelayMs: 10, maxDelayMs: 5 }), /maxDelayMs/);
  });
});
