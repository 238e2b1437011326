import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compactIfSlack, exposeGc } from "./idle-compaction.js";

const MiB = 1024 * 1024;

describe("idle compaction", () => {
  it("collects when the heap holds much more than it uses", () => {
    let calls = 0;
    const collected = compactIfSlack({
      gc: () => calls++,
      memoryUsage: () => ({ heapTotal: 80 * MiB, heapUsed: 20 * MiB }),
      minSlackMiB: 24,
    });
    assert.equal(collected, true);
    assert.equal(calls, 1);
  });

  it("leaves a tight heap alone", () => {
    let calls = 0;
    const collected = compactIfSlack({
      gc: () => calls++,
      memoryUsage: () => ({ heapTotal: 30 * MiB, heapUsed: 20 * MiB }),
      minSlackMiB: 24,
    });
    assert.equal(collected, false);
    assert.equal(calls, 0);
  });

  it("exposes V8's collector, which frees unreachable memory", () => {
    const gc = exposeGc();
    assert.ok(gc !== undefined);
    const before = process.memoryUsage().heapUsed;
    let junk: number[][] | undefined = Array.from({ length: 200 }, () => new Array(10_000).fill(1));
    assert.ok(junk.length === 200);
    junk = undefined;
    gc();
    assert.ok(process.memoryUsage().heapUsed < before + 8 * MiB, "the 16 MB of garbage was collected");
  });
});
