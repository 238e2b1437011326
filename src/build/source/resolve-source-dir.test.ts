import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isErrorCode } from "../../resources/index.js";
import { resolveSourceDir } from "./resolve-source-dir.js";

describe("resolveSourceDir", () => {
  let base = "";
  let root = "";
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), `slipway-source-dir-${process.pid}-`)));
    root = join(base, "checkout");
    await mkdir(join(root, "api", "src"), { recursive: true });
    await writeFile(join(root, "file.txt"), "");
    await mkdir(join(base, "outside"));
    await symlink("../outside", join(root, "escape"));
    await symlink("api", join(root, "alias"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("gives the root for no source_dir, and the folder for relative or DO-style /paths", async () => {
    for (const dir of [undefined, "", "/", ".", "./"])
      assert.equal(await resolveSourceDir(root, dir), root, String(dir));
    assert.equal(await resolveSourceDir(root, "api"), join(root, "api"));
    assert.equal(await resolveSourceDir(root, "/api/src/"), join(root, "api", "src"));
    assert.equal(
      await resolveSourceDir(root, "alias"),
      join(root, "api"),
      "a link inside resolves to its target",
    );
  });

  const failures: [string, RegExp][] = [
    ["missing", /^source_dir "missing" does not exist in the source/],
    ["file.txt", /^source_dir "file.txt" is a file, not a folder$/],
    [
      "../outside",
      /^source_dir "\.\.\/outside" is not a folder inside the source: "\.\.\/outside" leaves the source tree/,
    ],
    ["api/../../outside", /leaves the source tree/],
    ["escape", /^source_dir "escape" leads outside the source tree through a symbolic link$/],
    ["api\\src", /holds a backslash/],
  ];
  for (const [dir, message] of failures) {
    it(`refuses ${JSON.stringify(dir)}`, async () => {
      await assert.rejects(resolveSourceDir(root, dir), (err: unknown) => {
        assert.ok(isErrorCode(err, "failed_precondition"), String(err));
        assert.match((err as Error).message, message);
        return true;
      });
    });
  }
});
