import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { removeOutput, tailOutput } from "./output-tail.js";

describe("tailOutput", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-tail-${process.pid}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads what is appended, and a second reader goes on where the first one let go", async () => {
    const file = join(dir, "a.out");
    await writeFile(file, "one\n");
    const seen: string[] = [];
    const first = tailOutput({ file, intervalMs: 10, onChunk: (c) => seen.push(c.toString()) });
    await appendFile(file, "two\n");
    await waitUntil(() => seen.join("") === "one\ntwo\n");
    await first.release();
    assert.equal(await readFile(`${file}.pos`, "utf8"), "8");
    await appendFile(file, "three\n");
    const second = tailOutput({ file, intervalMs: 10, onChunk: (c) => seen.push(c.toString()) });
    await second.finish();
    assert.equal(seen.join(""), "one\ntwo\nthree\n");
    await removeOutput(file);
    await assert.rejects(stat(`${file}.pos`));
  });

  it("hands a partial line back on release, for the next reader", async () => {
    const file = join(dir, "p.out");
    await writeFile(file, "whole\npart");
    let seen = "";
    const first = tailOutput({ file, intervalMs: 10, onChunk: (c) => (seen += c.toString()) });
    await waitUntil(() => seen === "whole\npart");
    await first.release(4);
    await appendFile(file, "ial\n");
    let again = "";
    await tailOutput({ file, intervalMs: 10, onChunk: (c) => (again += c.toString()) }).finish();
    assert.equal(again, "partial\n");
  });

  it("gives read blocks back to the file system, keeping offsets valid", async () => {
    const file = join(dir, "big.out");
    const block = `${"x".repeat(1023)}\n`;
    await writeFile(file, block.repeat(256));
    // 64 KiB before the read position are kept (a partial line may be handed back).
    let bytes = 0;
    const tail = tailOutput({
      file,
      intervalMs: 10,
      punchAfterBytes: 64 * 1024,
      onChunk: (c) => (bytes += c.length),
    });
    await waitUntil(() => bytes === 256 * 1024);
    await appendFile(file, "end\n");
    await tail.finish();
    const info = await stat(file);
    assert.equal(info.size, 256 * 1024 + 4, "the length stays");
    assert.ok(
      info.blocks * 512 <= 72 * 1024,
      `the read part was freed (${info.blocks * 512} bytes allocated)`,
    );
    assert.equal(bytes, 256 * 1024 + 4);
  });
});

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), "condition reached");
}
