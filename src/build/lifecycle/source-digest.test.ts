import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sourceDigest } from "./source-digest.js";

describe("sourceDigest", () => {
  let root = "";
  let n = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "slipway-digest-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function tree(files: Record<string, string>): Promise<string> {
    const dir = join(root, `t${++n}`);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await mkdir(dir, { recursive: true });
    return dir;
  }

  const base = { "package.json": "{}", "src/a.js": "a", "src/b/c.txt": "c" };

  it("gives the same digest for the same tree in another place", async () => {
    const one = await sourceDigest(await tree(base));
    const two = await sourceDigest(await tree({ "src/b/c.txt": "c", "src/a.js": "a", "package.json": "{}" }));
    assert.equal(one, two);
    assert.match(one, /^[0-9a-f]{64}$/);
  });

  it("changes when one byte, one file name, or one file's presence changes", async () => {
    const digest = await sourceDigest(await tree(base));
    const variants = [
      { ...base, "src/a.js": "b" },
      { ...base, "src/a.js": "a " },
      { "package.json": "{}", "src/A.js": "a", "src/b/c.txt": "c" },
      { ...base, "src/empty": "" },
      { "package.json": "{}", "src/a.js": "a" },
      { "package.json": "{}", "src/a.js": "a", "src/bc.txt": "c" },
    ];
    const seen = new Set([digest]);
    for (const files of variants) seen.add(await sourceDigest(await tree(files)));
    assert.equal(seen.size, variants.length + 1);
  });

  it("changes with a file's mode and a link's target, not with file times", async () => {
    const dir = await tree(base);
    const first = await sourceDigest(dir);
    await writeFile(join(dir, "src/a.js"), "a");
    assert.equal(await sourceDigest(dir), first, "rewriting the same bytes");
    await chmod(join(dir, "src/a.js"), 0o755);
    const executable = await sourceDigest(dir);
    assert.notEqual(executable, first);
    await symlink("a.js", join(dir, "src/link"));
    const linked = await sourceDigest(dir);
    await rm(join(dir, "src/link"));
    await symlink("b", join(dir, "src/link"));
    assert.notEqual(await sourceDigest(dir), linked);
  });

  it("ignores .git and node_modules at any depth", async () => {
    const plain = await sourceDigest(await tree(base));
    const noisy = await tree({
      ...base,
      ".git/HEAD": "ref: refs/heads/main",
      "node_modules/x/index.js": "x",
      "src/node_modules/y.js": "y",
    });
    assert.equal(await sourceDigest(noisy), plain);
  });

  it("throws for a path that is not a directory", async () => {
    const dir = await tree(base);
    await assert.rejects(sourceDigest(join(dir, "package.json")), /not a directory/);
    await rename(dir, `${dir}-gone`);
    await assert.rejects(sourceDigest(dir), /ENOENT/);
  });
});
