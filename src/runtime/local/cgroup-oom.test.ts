import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseOomKills, readOomKills } from "./cgroup-oom.js";

describe("cgroup OOM counters", () => {
  it("parseOomKills reads oom_kill from v2 memory.events and v1 memory.oom_control", () => {
    assert.equal(parseOomKills("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n"), 1);
    assert.equal(parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
    assert.equal(parseOomKills("oom_kill_disable 0\nunder_oom 0\n"), undefined);
  });

  it("readOomKills finds the v1 layout and is undefined for a missing cgroup", async () => {
    const root = await mkdtemp(join(tmpdir(), "slipway-cgroup-"));
    try {
      await mkdir(join(root, "memory", "app-1"), { recursive: true });
      await writeFile(
        join(root, "memory", "app-1", "memory.oom_control"),
        "oom_kill_disable 0\noom_kill 2\n",
      );
      assert.equal(await readOomKills("/app-1", root), 2);
      assert.equal(await readOomKills("/app-2", root), undefined);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
