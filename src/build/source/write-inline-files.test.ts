import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateInlineFiles } from "./inline-files.js";
import { writeInlineFiles } from "./write-inline-files.js";

describe("writeInlineFiles", () => {
  let base = "";
  before(async () => {
    base = await mkdtemp(join(tmpdir(), `slipway-inline-${process.pid}-`));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("writes validated files with parent folders and 0644/0755 modes, whatever the umask", async () => {
    const result = validateInlineFiles([
      { path: "./src//index.js", content: "console.log(1)\n" },
      { path: "bin/start.sh", content: "#!/bin/sh\n", executable: true },
      { path: "img/x.bin", content: "AAH/", encoding: "base64" },
    ]);
    assert.ok(result.ok);
    const dest = join(base, "out");
    const umask = process.umask(0o077);
    try {
      await writeInlineFiles(result.files, dest);
    } finally {
      process.umask(umask);
    }
    assert.equal(await readFile(join(dest, "src", "index.js"), "utf8"), "console.log(1)\n");
    assert.deepEqual(await readFile(join(dest, "img", "x.bin")), Buffer.from([0, 1, 255]));
    assert.equal((await lstat(join(dest, "bin", "start.sh"))).mode & 0o777, 0o755);
    assert.equal((await lstat(join(dest, "src", "index.js"))).mode & 0o777, 0o644);
  });

  it("refuses a destination that is not empty and a path that skipped validation", async () => {
    const full = join(base, "full");
    await mkdir(full);
    await writeFile(join(full, "x"), "");
    await assert.rejects(writeInlineFiles([], full), /is not empty/);
    const leaving = [{ path: "../escape", content: Buffer.from("x"), executable: false }];
    await assert.rejects(writeInlineFiles(leaving, join(base, "fresh")), /was not validated/);
  });
});
