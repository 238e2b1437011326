import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { publishArtifact } from "./artifact-store.js";
import { collectArtifacts } from "./collect-artifacts.js";

const id = (n: number) => String(n).repeat(64).slice(0, 64);

describe("collectArtifacts", () => {
  let root = "";
  const old = new Date("2026-01-01T00:00:00Z");
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "slipway-gc-"));
    for (const n of [1, 2, 3]) {
      const tree = join(root, `tree-${n}`);
      await mkdir(tree);
      await writeFile(join(tree, "file"), "x".repeat(100 * n));
      await publishArtifact(join(root, "artifacts"), tree, {
        id: id(n),
        group: "nodejs",
        workdir: "/workspace",
        env: {},
        stackVersion: "v",
        createdAt: old.toISOString(),
      });
    }
    await mkdir(join(root, "artifacts", `${id(4)}.tmp`));
    await mkdir(join(root, "artifacts", "not-an-artifact"));
    for (const name of [id(1), id(2), `${id(4)}.tmp`, "not-an-artifact"])
      await utimes(join(root, "artifacts", name), old, old);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("removes old artifacts that are not kept and crashed .tmp folders, and nothing else", async () => {
    const result = await collectArtifacts({
      artifactsRoot: join(root, "artifacts"),
      keep: new Set([id(1)]),
      now: () => new Date("2026-01-02T00:00:00Z"),
      graceMs: 3_600_000,
    });
    assert.deepEqual(result.removed, [id(2)]);
    assert.equal(result.freedBytes, 200);
    // id(3) was published just now (its mtime is today): younger than the grace period.
    assert.equal(result.kept, 2);
    assert.deepEqual(
      (await readdir(join(root, "artifacts"))).sort(),
      [id(1), id(3), "not-an-artifact"].sort(),
    );
  });

  it("does nothing when the store does not exist", async () => {
    const result = await collectArtifacts({ artifactsRoot: join(root, "missing"), keep: new Set() });
    assert.deepEqual(result, { removed: [], freedBytes: 0, kept: 0 });
  });
});
