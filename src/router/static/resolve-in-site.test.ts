import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveInSite } from "./resolve-in-site.js";

describe("resolveInSite", () => {
  let dir = "";
  let root = "";
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), `slipway-resolve-${process.pid}-`)));
    root = join(dir, "site");
    await mkdir(join(root, "sub"), { recursive: true });
    await writeFile(join(root, "sub", "a.txt"), "a");
    await writeFile(join(dir, "outside.txt"), "secret");
    await mkdir(join(dir, "site-other"));
    await writeFile(join(dir, "site-other", "x.txt"), "x");
    await symlink(join(root, "sub", "a.txt"), join(root, "inside-link"));
    await symlink(join(dir, "outside.txt"), join(root, "outside-link"));
    await symlink(join(dir, "site-other"), join(root, "sibling-link"));
    await symlink(join(root, "loop"), join(root, "loop"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("finds files and directories, and follows links that stay inside the tree", async () => {
    assert.equal((await resolveInSite(root, ["sub", "a.txt"])).kind, "file");
    assert.equal((await resolveInSite(root, ["sub"])).kind, "directory");
    assert.equal((await resolveInSite(root, [])).kind, "directory");
    const link = await resolveInSite(root, ["inside-link"]);
    assert.equal(link.kind === "file" && link.path, join(root, "sub", "a.txt"));
  });

  it("treats links out of the tree (even to a sibling sharing its prefix), loops and misses as missing", async () => {
    for (const segments of [
      ["outside-link"],
      ["sibling-link", "x.txt"],
      ["loop"],
      ["nope"],
      ["sub", "a.txt", "x"],
    ])
      assert.equal((await resolveInSite(root, segments)).kind, "missing", segments.join("/"));
  });
});
