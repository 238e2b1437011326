import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createOwnCgroup } from "./own-cgroup.js";

// A cgroup file system stand-in: plain folders and files (rmdir of a real cgroup ignores its files;
// here the test removes them first, as the kernel would).
async function fakeRoot(version: 1 | 2): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `own-cgroup-v${version}-`));
  if (version === 2) await writeFile(join(root, "cgroup.controllers"), "cpu memory pids\n");
  else for (const c of ["memory", "cpu", "pids"]) await mkdir(join(root, c));
  return root;
}

describe("createOwnCgroup", () => {
  const limits = { memoryMiB: 512, cpus: 0.5, pidsLimit: 544 };

  it("writes memory (no swap), CPU quota and pids limits on cgroup v2", async () => {
    const root = await fakeRoot(2);
    try {
      const cg = await createOwnCgroup("web-0", limits, root);
      const dir = join(root, "slipway", "web-0");
      assert.equal(await readFile(join(dir, "memory.max"), "utf8"), String(512 * 1024 * 1024));
      assert.equal(await readFile(join(dir, "memory.swap.max"), "utf8"), "0");
      assert.equal(await readFile(join(dir, "cpu.max"), "utf8"), "50000 100000");
      assert.equal(await readFile(join(dir, "pids.max"), "utf8"), "544");
      assert.equal(
        await readFile(join(root, "slipway", "cgroup.subtree_control"), "utf8"),
        "+memory +cpu +pids",
      );
      assert.deepEqual(cg.procsFiles, [join(dir, "cgroup.procs")]);
      await writeFile(join(dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
      assert.equal(await cg.oomKills(), 1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("writes the v1 controllers' files and reads the OOM count from memory.oom_control", async () => {
    const root = await fakeRoot(1);
    try {
      const cg = await createOwnCgroup("web-0", limits, root);
      const at = (c: string, f: string) => readFile(join(root, c, "slipway", "web-0", f), "utf8");
      assert.equal(await at("memory", "memory.limit_in_bytes"), String(512 * 1024 * 1024));
      assert.equal(await at("memory", "memory.memsw.limit_in_bytes"), String(512 * 1024 * 1024));
      assert.equal(await at("cpu", "cpu.cfs_quota_us"), "50000");
      assert.equal(await at("cpu", "cpu.cfs_period_us"), "100000");
      assert.equal(await at("pids", "pids.max"), "544");
      assert.equal(cg.procsFiles.length, 3);
      assert.equal(await cg.oomKills(), undefined, "no counter yet");
      await writeFile(
        join(root, "memory", "slipway", "web-0", "memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
      );
      assert.equal(await cg.oomKills(), 2);
      assert.deepEqual(await cg.pids(), []);
      for (const c of ["memory", "cpu", "pids"]) {
        const dir = join(root, c, "slipway", "web-0");
        for (const f of [
          "memory.limit_in_bytes",
          "memory.memsw.limit_in_bytes",
          "memory.oom_control",
          "cpu.cfs_quota_us",
          "cpu.cfs_period_us",
          "pids.max",
        ])
          await rm(join(dir, f), { force: true });
      }
      await cg.remove();
      await assert.rejects(stat(join(root, "pids", "slipway", "web-0")), /ENOENT/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
