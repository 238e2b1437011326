import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createFileLogStore, type LogEntry, type LogStore, type LogStreamId } from "./log-store.js";

const ID: LogStreamId = { namespace: "team-a", type: "BUILD", name: "app-1-web" };

describe("createFileLogStore", () => {
  let root = "";
  let store: LogStore;
  let tick = 0;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "slipway-logs-"));
    tick = 0;
    store = createFileLogStore({ root, now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) });
  });
  afterEach(async () => {
    store.close();
    await rm(root, { recursive: true, force: true });
  });

  it("keeps every appended line on disk at once, with its time, split on newlines", async () => {
    store.append(ID, "first");
    const onDisk = await readFile(join(root, "team-a", "BUILD", "app-1-web.log"), "utf8");
    assert.equal(onDisk, "2026-01-01T00:00:00.000Z first\n");
    store.append(ID, "two\nlines");
    assert.deepEqual(await store.read(ID), [
      { at: "2026-01-01T00:00:00.000Z", text: "first" },
      { at: "2026-01-01T00:00:01.000Z", text: "two" },
      { at: "2026-01-01T00:00:01.000Z", text: "lines" },
    ]);
    assert.deepEqual(
      (await store.read(ID, { tailLines: 1 })).map((e) => e.text),
      ["lines"],
    );
    assert.equal(store.ref(ID), "build/team-a/app-1-web");
  });

  it("reads nothing from a stream that was never written", async () => {
    assert.deepEqual(await store.read({ ...ID, name: "other" }), []);
  });

  it("refuses names that are not safe file names", () => {
    assert.throws(() => store.append({ ...ID, name: "../escape" }, "x"), /not a safe file name/);
    assert.throws(() => store.append({ ...ID, namespace: "a/b" }, "x"), /not a safe file name/);
  });

  it("stops keeping lines past maxBytes and says so once", async () => {
    const small = createFileLogStore({ root: join(root, "small"), maxBytes: 100 });
    for (let i = 0; i < 20; i++) small.append(ID, `line ${i} ${"x".repeat(10)}`);
    const texts = (await small.read(ID)).map((e) => e.text);
    small.close();
    assert.ok(texts.length < 20);
    assert.match(texts.at(-1) ?? "", /log truncated/);
    assert.equal(texts.filter((t) => t.includes("truncated")).length, 1);
  });

  it("follow yields existing lines, then appended ones, and ends when done", async () => {
    store.append(ID, "before");
    let done = false;
    const seen: LogEntry[] = [];
    const abort = new AbortController();
    const following = (async () => {
      for await (const entry of store.follow(ID, {
        signal: abort.signal,
        isDone: async () => done,
        pollMs: 20,
      })) {
        seen.push(entry);
        if (entry.text === "before") {
          store.append(ID, "during 1");
          store.append(ID, "during 2");
        }
        if (entry.text === "during 2") {
          store.append(ID, "last");
          done = true;
        }
      }
    })();
    await following;
    assert.deepEqual(
      seen.map((e) => e.text),
      ["before", "during 1", "during 2", "last"],
    );
  });

  it("follow ends when its signal aborts, even while the stream is not done", async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const entry of store.follow(ID, {
        signal: abort.signal,
        isDone: async () => false,
        pollMs: 20,
      }))
        seen.push(entry.text);
    })();
    store.append(ID, "one");
    setTimeout(() => abort.abort(), 50);
    await following;
    assert.deepEqual(seen, ["one"]);
  });

  it("keeps writing to a stream after its file was closed to bound open files", async () => {
    for (let i = 0; i < 70; i++) store.append({ ...ID, name: `b-${i}` }, "x");
    store.append({ ...ID, name: "b-0" }, "again");
    assert.deepEqual(
      (await store.read({ ...ID, name: "b-0" })).map((e) => e.text),
      ["x", "again"],
    );
  });
});
