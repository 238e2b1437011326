import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { boostedCpus, setSandboxCpus, startupBoost } from "./startup-boost.js";

// The cgroup files are stand-ins in a temporary folder: the real cgroup file system is written by
// test/runtime-instance.test.ts, on a real sandbox.
async function fakeCgroup(layout: "v2" | "v1", id: string): Promise<{ root: string; file: string }> {
  const root = await mkdtemp(join(tmpdir(), "slipway-boost-"));
  const dir = layout === "v2" ? join(root, id) : join(root, "cpu", id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, layout === "v2" ? "cpu.max" : "cpu.cfs_quota_us");
  // Empty: cgroup files replace their value on every write, a plain file keeps the old tail.
  await writeFile(file, "");
  return { root, file };
}

describe("startup CPU boost", () => {
  it("doubles the plan's CPUs, capped at the host's, never below the plan", () => {
    assert.equal(boostedCpus(1, 8), 2);
    assert.equal(boostedCpus(0.5, 8), 1);
    assert.equal(boostedCpus(2, 2), 2);
    assert.equal(boostedCpus(1, 1), 1);
    assert.equal(boostedCpus(4, 2), 4);
  });

  it("writes the quota in the cgroup v2 and v1 layouts, and reports a sandbox without a cgroup", async () => {
    for (const [layout, expected] of [
      ["v2", "50000 100000"],
      ["v1", "50000"],
    ] as const) {
      const { root, file } = await fakeCgroup(layout, "inst-1");
      try {
        assert.equal(await setSandboxCpus("inst-1", 0.5, root), true);
        assert.equal(await readFile(file, "utf8"), expected);
        assert.equal(await setSandboxCpus("gone-1", 0.5, root), false);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }
  });

  it("ends at the end of its window, or at once when ended, and only once", async () => {
    const { root, file } = await fakeCgroup("v2", "inst-2");
    try {
      const early = startupBoost("inst-2", 1, { cgroupRoot: root, windowMs: 60_000 });
      await early.end();
      assert.equal(await readFile(file, "utf8"), "100000 100000");
      await writeFile(file, "200000 100000");
      await early.end();
      assert.equal(await readFile(file, "utf8"), "200000 100000", "a second end() writes nothing");
      await writeFile(file, "");
      const errors: unknown[] = [];
      startupBoost("inst-2", 0.25, { cgroupRoot: root, windowMs: 20, onError: (e) => errors.push(e) });
      const deadline = Date.now() + 5000;
      while ((await readFile(file, "utf8")) !== "25000 100000" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(await readFile(file, "utf8"), "25000 100000");
      assert.deepEqual(errors, []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
