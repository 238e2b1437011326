import assert from "node:assert/strict";
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { BuildpackGroup } from "../../detect/index.js";
import {
  CACHE_STAMP,
  cacheDir,
  collectDependencyCaches,
  DependencyCacheLeases,
  lockfileHash,
  takeDependencyCache,
} from "./dependency-cache.js";

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

  it("gives each scope its own key for the same lockfiles, and one without any lockfile", async () => {
    await writeFile(join(dir, "package-lock.json"), '{"lockfileVersion":3}');
    const unscoped = await lockfileHash(dir, "nodejs");
    const a = await lockfileHash(dir, "nodejs", "app-a");
    const b = await lockfileHash(dir, "nodejs", "app-b");
    assert.equal(new Set([unscoped, a, b]).size, 3);
    assert.equal(await lockfileHash(dir, "nodejs", "app-a"), a, "stable");
    assert.match(await lockfileHash(dir, "python", "app-a"), /^[0-9a-f]{32}$/);
    assert.notEqual(await lockfileHash(dir, "python", "app-a"), await lockfileHash(dir, "python", "app-b"));
  });
});

describe("DependencyCacheLeases", () => {
  it("holds a folder until every hold is released, and a release counts once", () => {
    const leases = new DependencyCacheLeases();
    assert.equal(leases.isHeld("/c/nodejs/k"), false);
    const first = leases.hold("/c/nodejs/k");
    const second = leases.hold("/c/nodejs/k/");
    assert.equal(leases.isHeld("/c/nodejs/k"), true);
    first();
    first();
    assert.equal(leases.isHeld("/c/nodejs/k"), true, "the second build still holds it");
    second();
    assert.equal(leases.isHeld("/c/nodejs/k"), false);
  });
});

describe("takeDependencyCache and collectDependencyCaches", () => {
  const DAY = 24 * 3_600_000;
  const now = new Date("2026-03-01T00:00:00Z");
  const daysAgo = (n: number) => new Date(now.getTime() - n * DAY);
  const key = (c: string) => c.repeat(32);
  let root = "";
  let cacheRoot = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "slipway-cache-gc-"));
    cacheRoot = join(root, "cache");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A cache folder with a file in npm/, last used `days` ago. */
  async function cacheUsed(
    group: BuildpackGroup,
    k: string,
    days: number,
    leases = new DependencyCacheLeases(),
  ) {
    const taken = await takeDependencyCache({ cacheRoot, group, key: k, leases, now: () => daysAgo(days) });
    await mkdir(join(taken.dir, "npm"));
    await writeFile(join(taken.dir, "npm", "index"), "x");
    return taken;
  }
  const collect = (leases?: DependencyCacheLeases) =>
    collectDependencyCaches({ cacheRoot, now: () => now, ...(leases === undefined ? {} : { leases }) });
  const list = async (group: string) => (await readdir(join(cacheRoot, group))).sort();

  it("takeDependencyCache creates the folder, holds it and stamps its last use", async () => {
    const leases = new DependencyCacheLeases();
    const taken = await takeDependencyCache({
      cacheRoot,
      group: "nodejs",
      key: key("a"),
      leases,
      now: () => now,
    });
    assert.equal(taken.dir, cacheDir(cacheRoot, "nodejs", key("a")));
    assert.equal(leases.isHeld(taken.dir), true);
    assert.equal((await stat(join(taken.dir, CACHE_STAMP))).mtimeMs, now.getTime());
    taken.release();
    assert.equal(leases.isHeld(taken.dir), false);
    // A second use moves the stamp forward.
    const later = new Date(now.getTime() + DAY);
    (
      await takeDependencyCache({ cacheRoot, group: "nodejs", key: key("a"), leases, now: () => later })
    ).release();
    assert.equal((await stat(join(taken.dir, CACHE_STAMP))).mtimeMs, later.getTime());
  });

  it("takeDependencyCache replaces a symlink at the stamp's path and never writes through it", async () => {
    const outside = join(root, "outside");
    await writeFile(outside, "host file");
    const old = daysAgo(30);
    await utimes(outside, old, old);
    const dir = cacheDir(cacheRoot, "nodejs", key("a"));
    await mkdir(dir, { recursive: true });
    await symlink(outside, join(dir, CACHE_STAMP));
    const leases = new DependencyCacheLeases();
    (
      await takeDependencyCache({ cacheRoot, group: "nodejs", key: key("a"), leases, now: () => now })
    ).release();
    const stamp = await lstat(join(dir, CACHE_STAMP));
    assert.ok(stamp.isFile(), "the link was replaced by a plain file");
    assert.equal(stamp.mtimeMs, now.getTime());
    assert.equal(await readFile(outside, "utf8"), "host file");
    assert.equal((await stat(outside)).mtimeMs, old.getTime(), "the link's target was not touched");
  });

  it("removes a cache idle for more than seven days and keeps a recently used one", async () => {
    (await cacheUsed("nodejs", key("a"), 8)).release();
    (await cacheUsed("nodejs", key("b"), 6)).release();
    (await cacheUsed("python", "no-lockfile", 30)).release();
    const result = await collect();
    assert.deepEqual(result, { removed: [`nodejs/${key("a")}`, "python/no-lockfile"], kept: 1 });
    assert.deepEqual(await list("nodejs"), [key("b")]);
    assert.deepEqual(await list("python"), []);
    assert.deepEqual(await list(""), ["nodejs", "python"], "no trash folder is left");
  });

  it("keeps a held cache however idle, and removes it at the next collection after its release", async () => {
    const leases = new DependencyCacheLeases();
    const taken = await cacheUsed("go", key("c"), 30, leases);
    assert.deepEqual(await collect(leases), { removed: [], kept: 1 });
    assert.deepEqual(await list("go"), [key("c")]);
    taken.release();
    assert.deepEqual(await collect(leases), { removed: [`go/${key("c")}`], kept: 0 });
  });

  it("takes the folder's own mtime as the last use of a cache without a stamp", async () => {
    for (const [k, days] of [
      [key("d"), 10],
      [key("e"), 1],
    ] as const) {
      const dir = cacheDir(cacheRoot, "nodejs", k);
      await mkdir(dir, { recursive: true });
      await utimes(dir, daysAgo(days), daysAgo(days));
    }
    assert.deepEqual(await collect(), { removed: [`nodejs/${key("d")}`], kept: 1 });
    assert.deepEqual(await list("nodejs"), [key("e")]);
  });

  it("removes the trash a crashed collection left, and nothing that is not a cache folder", async () => {
    await mkdir(join(cacheRoot, ".trash-0123456789abcdef", "npm"), { recursive: true });
    await writeFile(join(cacheRoot, ".trash-0123456789abcdef", "npm", "index"), "x");
    await mkdir(join(cacheRoot, "nodejs", "not-a-key"), { recursive: true });
    await writeFile(join(cacheRoot, "nodejs", key("f")), "a file, not a folder");
    await mkdir(join(cacheRoot, ".other", key("a")), { recursive: true });
    for (const p of ["nodejs/not-a-key", ".other", `.other/${key("a")}`])
      await utimes(join(cacheRoot, p), daysAgo(30), daysAgo(30));
    assert.deepEqual(await collect(), { removed: [], kept: 0 });
    assert.deepEqual(await list(""), [".other", "nodejs"]);
    assert.deepEqual(await list("nodejs"), [key("f"), "not-a-key"]);
  });

  it("neither follows nor removes the target of a symlink in the cache root", async () => {
    const outside = join(root, "outside");
    await mkdir(join(outside, key("a")), { recursive: true });
    await mkdir(join(outside, "nodejs", key("b")), { recursive: true });
    for (const p of [key("a"), "nodejs", `nodejs/${key("b")}`])
      await utimes(join(outside, p), daysAgo(30), daysAgo(30));
    await mkdir(join(cacheRoot, "nodejs"), { recursive: true });
    await symlink(join(outside, key("a")), join(cacheRoot, "nodejs", key("a")));
    await symlink(join(outside, "nodejs"), join(cacheRoot, "python"));
    assert.deepEqual(await collect(), { removed: [], kept: 0 });
    assert.deepEqual(await list("nodejs"), [key("a")], "the link stays");
    assert.deepEqual((await readdir(outside)).sort(), [key("a"), "nodejs"]);
    assert.deepEqual(await readdir(join(outside, "nodejs")), [key("b")]);
  });

  it("does nothing when the cache root does not exist", async () => {
    assert.deepEqual(await collect(), { removed: [], kept: 0 });
  });
});
