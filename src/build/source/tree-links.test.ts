import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isErrorCode } from "../../resources/index.js";
import { checkTreeLinks, findEscapingLinks } from "./tree-links.js";

describe("findEscapingLinks / checkTreeLinks", () => {
  let root = "";
  before(async () => {
    root = await mkdtemp(join(tmpdir(), `slipway-tree-links-${process.pid}-`));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("accepts links that stay inside, dangling ones included, and ignores .git", async () => {
    const tree = join(root, "good");
    await mkdir(join(tree, "a", "b"), { recursive: true });
    await mkdir(join(tree, ".git"));
    await writeFile(join(tree, "a", "f"), "");
    await symlink("../f", join(tree, "a", "b", "up"));
    await symlink("a/b", join(tree, "ab"));
    await symlink("missing", join(tree, "dangling"));
    await symlink("/etc/passwd", join(tree, ".git", "ignored"));
    assert.deepEqual(await findEscapingLinks(tree), []);
    await checkTreeLinks(tree);
  });

  it("names absolute links, links that climb out, and chains that resolve outside", async () => {
    const tree = join(root, "bad");
    await mkdir(join(tree, "sub"), { recursive: true });
    await symlink("/etc/passwd", join(tree, "sub", "passwd"));
    await symlink("../../x", join(tree, "sub", "out"));
    await symlink(".", join(tree, "self"));
    await symlink("self/..", join(tree, "chain"));
    await symlink("loop", join(tree, "loop"));
    assert.deepEqual(await findEscapingLinks(tree), [
      { path: "chain", target: "self/.." },
      { path: "loop", target: "loop" },
      { path: "sub/out", target: "../../x" },
      { path: "sub/passwd", target: "/etc/passwd" },
    ]);
    await assert.rejects(checkTreeLinks(tree, "https://***@example.com/r.git"), (err: unknown) => {
      assert.ok(isErrorCode(err, "failed_precondition"));
      assert.match(
        (err as Error).message,
        /^https:\/\/\*\*\*@example\.com\/r\.git has symbolic links that point outside the source tree: "chain" -> "self\/\.\.", "loop" -> "loop", "sub\/out" -> "\.\.\/\.\.\/x", "sub\/passwd" -> "\/etc\/passwd"\./,
      );
      return true;
    });
  });
});
