import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createHostsBook, hostsEntries } from "./hosts-book.js";

describe("hostsEntries", () => {
  it("gives a name to its ready instances, newest first, and to starting ones only when none is ready", () => {
    const entries = hostsEntries([
      { component: "api", ip: "10.0.0.2", ready: true, seq: 1 },
      { component: "api", ip: "10.0.0.4", ready: true, seq: 3 },
      { component: "api", ip: "10.0.0.5", ready: false, seq: 4 },
      { component: "web", ip: "10.0.0.3", ready: false, seq: 2 },
    ]);
    assert.deepEqual(entries, [
      { name: "api", ip: "10.0.0.4" },
      { name: "api", ip: "10.0.0.2" },
      { name: "web", ip: "10.0.0.3" },
    ]);
  });
});

describe("createHostsBook", () => {
  it("rewrites a running instance's hosts file in place when another component is replaced", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hosts-book-"));
    try {
      const book = createHostsBook();
      const file = join(dir, "web-0");
      await book.set("app", "web-0", { component: "web", ip: "10.0.0.2", ready: true });
      await book.set("app", "api-0", { component: "api", ip: "10.0.0.3", ready: true });
      await writeFile(file, "");
      book.addFile("app", "web-0", file);
      const inode = (await stat(file)).ino;
      await book.set("app", "api-1", { component: "api", ip: "10.0.0.4", ready: false });
      assert.doesNotMatch(
        await readFile(file, "utf8"),
        /10\.0\.0\.4/,
        "a starting api does not take the name",
      );
      await book.set("app", "api-1", { component: "api", ip: "10.0.0.4", ready: true });
      await book.remove("app", "api-0");
      const text = await readFile(file, "utf8");
      assert.match(text, /10\.0\.0\.4\tapi\n/);
      assert.doesNotMatch(text, /10\.0\.0\.3/);
      assert.equal((await stat(file)).ino, inode, "the bind-mounted inode is kept");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
