import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { detect } from "./detect.js";
import { directoryTree, type FileTree, memoryTree, subTree } from "./file-tree.js";

describe("directoryTree", () => {
  let base = "";
  let root = "";
  before(() => {
    base = mkdtempSync(join(tmpdir(), "slipway-detect-"));
    root = join(base, "src");
    const outside = join(base, "outside");
    mkdirSync(join(root, "app", "node_modules", "dep"), { recursive: true });
    mkdirSync(join(root, ".git"));
    mkdirSync(outside);
    writeFileSync(join(outside, "package.json"), JSON.stringify({ scripts: { start: "node steal.js" } }));
    writeFileSync(join(outside, "secret.txt"), "secret");
    writeFileSync(join(root, "app", "index.html"), "<h1>hi</h1>");
    writeFileSync(join(root, "app", "node_modules", "dep", "package.json"), "{}");
    writeFileSync(join(root, ".git", "HEAD"), "ref");
    writeFileSync(join(root, "big.txt"), "x".repeat(2048));
    symlinkSync(join(outside, "package.json"), join(root, "package.json"));
    symlinkSync(outside, join(root, "linked-dir"));
    symlinkSync(join(root, "app", "index.html"), join(root, "inside-link.html"));
    symlinkSync(join(base, "nowhere"), join(root, "dangling"));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it("does not follow a symbolic link out of the root", () => {
    const tree = directoryTree(root);
    assert.equal(tree.read("package.json"), undefined);
    assert.equal(tree.exists("package.json"), false);
    assert.equal(tree.read("linked-dir/secret.txt"), undefined);
    assert.deepEqual(tree.list("linked-dir"), []);
    assert.equal(tree.read("../outside/secret.txt"), undefined);
  });

  it("detection ignores a package.json linked from outside the root", () => {
    const result = detect(directoryTree(root));
    assert.ok(!result.ok);
    assert.equal(result.error.code, "undetectable");
  });

  it("follows links that stay inside the root and lists only what it can read", () => {
    const tree = directoryTree(root);
    assert.equal(tree.read("inside-link.html"), "<h1>hi</h1>");
    assert.deepEqual(tree.list(""), [
      { name: "app", type: "dir" },
      { name: "big.txt", type: "file" },
      { name: "inside-link.html", type: "file" },
    ]);
  });

  it("hides node_modules and .git", () => {
    const tree = directoryTree(root);
    assert.deepEqual(tree.list("app"), [{ name: "index.html", type: "file" }]);
    assert.equal(tree.read("app/node_modules/dep/package.json"), undefined);
    assert.equal(tree.exists(".git/HEAD"), false);
  });

  it("reads files up to the size cap only", () => {
    assert.equal(directoryTree(root, { maxReadBytes: 1024 }).read("big.txt"), undefined);
    assert.equal(directoryTree(root).read("big.txt")?.length, 2048);
    assert.equal(directoryTree(root).read("app"), undefined);
  });

  it("does not hang on a FIFO named like a manifest", { timeout: 5000 }, () => {
    const dir = join(base, "fifo");
    mkdirSync(dir);
    execFileSync("mkfifo", [join(dir, "package.json")]);
    const tree = directoryTree(dir);
    assert.equal(tree.read("package.json"), undefined);
    assert.deepEqual(tree.list(""), []);
  });

  it("throws when the root does not exist", () => {
    assert.throws(() => directoryTree(join(base, "missing")), /ENOENT/);
  });
});

describe("memoryTree and subTree", () => {
  const tree: FileTree = memoryTree({
    "a/b/c.txt": "c",
    "a/d.txt": "d",
    "e.txt": "e",
    "node_modules/x": "x",
  });

  it("implies directories from file paths and sorts listings", () => {
    assert.deepEqual(tree.list(""), [
      { name: "a", type: "dir" },
      { name: "e.txt", type: "file" },
    ]);
    assert.deepEqual(tree.list("./a/"), [
      { name: "b", type: "dir" },
      { name: "d.txt", type: "file" },
    ]);
    assert.equal(tree.exists("a/b"), true);
    assert.equal(tree.read("a/b"), undefined);
    assert.equal(tree.read("a/../e.txt"), "e");
  });

  it("keeps a subtree's paths inside it", () => {
    const a = subTree(tree, "a");
    assert.ok(a !== undefined);
    assert.equal(a.read("b/c.txt"), "c");
    assert.equal(a.read("../e.txt"), undefined);
    assert.equal(subTree(tree, "e.txt"), undefined);
    assert.equal(subTree(tree, "../a"), undefined);
  });

  it("caps what it reads at 1 MiB", () => {
    assert.equal(memoryTree({ big: "x".repeat(1024 * 1024 + 1) }).read("big"), undefined);
  });
});
