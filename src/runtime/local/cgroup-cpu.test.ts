import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseCpuStatUsage, readInstanceCpuUsage, sandboxAttempt } from "./cgroup-cpu.js";

describe("cgroup CPU counters", () => {
  it("parseCpuStatUsage reads usage_usec of a v2 cpu.stat", () => {
    assert.equal(parseCpuStatUsage("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n"), 123456);
    assert.equal(parseCpuStatUsage("nr_periods 0\n"), undefined);
  });

  it("sandboxAttempt matches only `<instance>-<attempt>`", () => {
    assert.equal(sandboxAttempt("shop-d1-web-1", "shop-d1-web-1-0"), 0);
    assert.equal(sandboxAttempt("shop-d1-web-1", "shop-d1-web-1-12"), 12);
    // Instance 0 of a component named web-1 is not instance 1 of web.
    assert.equal(sandboxAttempt("shop-d1-web-1", "shop-d1-web-1-0-3"), undefined);
    assert.equal(sandboxAttempt("shop-d1-web-1", "shop-d1-web-10-0"), undefined);
  });

  it("readInstanceCpuUsage reads the newest sandbox's counter, v1 (nanoseconds) and v2 (microseconds)", async () => {
    const root = await mkdtemp(join(tmpdir(), "slipway-cgroup-"));
    try {
      await mkdir(join(root, "cpuacct", "web-0-0"), { recursive: true });
      await mkdir(join(root, "cpuacct", "web-0-2"), { recursive: true });
      await writeFile(join(root, "cpuacct", "web-0-0", "cpuacct.usage"), "999000000\n");
      await writeFile(join(root, "cpuacct", "web-0-2", "cpuacct.usage"), "5000000\n");
      assert.deepEqual(await readInstanceCpuUsage("web-0", root), { id: "web-0-2", usageMicros: 5000 });
      await mkdir(join(root, "api-0-1"), { recursive: true });
      await writeFile(join(root, "api-0-1", "cpu.stat"), "usage_usec 777\nuser_usec 700\n");
      assert.deepEqual(await readInstanceCpuUsage("api-0", root), { id: "api-0-1", usageMicros: 777 });
      assert.equal(await readInstanceCpuUsage("gone-0", root), undefined);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
