import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cacheDir, lockfileHash } from "./dependency-cache.js";

describe("lockfileHash", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-lock-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is no-lockfile without one, and follows the lockfile's content", async () => {
    assert.equal(await lockfileHash(dir, "nodejs"), "no-lockfile");
    await writeFile(join(dir, "package.json"), "{}");
    assert.equal(await lockfileHash(dir, "nodejs"), "no-lockfile", "package.json is not a lockfile");
    await writeFile(join(dir, "package-lock.json"), '{"lockfileVersion":3}');
    const one = await lockfileHash(dir, "nodejs");
    assert.match(one, /^[0-9a-f]{32}$/);
    await writeFile(join(dir, "package-lock.json"), '{"lockfileVersion":2}');
    assert.notEqual(await lockfileHash(dir, "nodejs"), one);
    assert.equal(await lockfileHash(dir, "python"), "no-lockfile", "each builder has its own lockfiles");
    assert.equal(cacheDir("/c", "nodejs", one), `/c/nodejs/${one}`);
  });
});
