import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { API_VERSION, type Resource } from "../../resources/meta.js";
import { runStoreConformance } from "../conformance.js";
import type { Store } from "../store.js";
import { openSqliteStore } from "./sqlite-store.js";

type Widget = Resource<"Widget", { size: number }>;

async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-store-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

runStoreConformance("sqlite", async (options) => {
  const { dir, remove } = await tempDir();
  const store = openSqliteStore({ path: join(dir, "store.db"), ...options });
  return {
    store,
    async cleanup() {
      await store.close();
      await remove();
    },
  };
});

describe("openSqliteStore", () => {
  const widget = (name: string) => ({
    apiVersion: API_VERSION,
    kind: "Widget" as const,
    metadata: { name, namespace: "n" },
    spec: { size: 1 },
  });

  async function withPath(body: (path: string) => Promise<void>): Promise<void> {
    const { dir, remove } = await tempDir();
    try {
      await body(join(dir, "store.db"));
    } finally {
      await remove();
    }
  }

  it("keeps data across reopen and continues the resourceVersion sequence", () =>
    withPath(async (path) => {
      const first: Store = openSqliteStore({ path });
      const a = await first.create<Widget>(widget("a"));
      await first.close();
      const second = openSqliteStore({ path });
      try {
        assert.deepEqual(await second.get<Widget>("Widget", { namespace: "n", name: "a" }), a);
        const b = await second.create<Widget>(widget("b"));
        assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
        assert.equal((await second.list("Widget")).resourceVersion, b.metadata.resourceVersion);
      } finally {
        await second.close();
      }
    }));

  it("uses WAL mode with synchronous=FULL", () =>
    withPath(async (path) => {
      const store = openSqliteStore({ path });
      try {
        await store.create<Widget>(widget("a"));
        assert.ok(existsSync(`${path}-wal`), "the -wal file exists while the store is open");
        const db = new Database(path, { readonly: true });
        try {
          assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
        } finally {
          db.close();
        }
      } finally {
        await store.close();
      }
    }));

  it("stamps timestamps from the injected clock", () =>
    withPath(async (path) => {
      const clock = new Date("2030-01-02T03:04:05.000Z");
      const store = openSqliteStore({ path, now: () => clock });
      try {
        const created = await store.create<Widget>({
          ...widget("a"),
          metadata: { ...widget("a").metadata, finalizers: ["f"] },
        });
        assert.equal(created.metadata.creationTimestamp, "2030-01-02T03:04:05.000Z");
        const deleting = await store.delete<Widget>("Widget", { namespace: "n", name: "a" });
        assert.equal(deleting.metadata.deletionTimestamp, "2030-01-02T03:04:05.000Z");
      } finally {
        await store.close();
      }
    }));

  it("keeps only the last watchHistory events and expires older continue tokens with gone", () =>
    withPath(async (path) => {
      const store = openSqliteStore({ path, watchHistory: 4 });
      try {
        for (const name of ["a", "b", "c"]) await store.create<Widget>(widget(name));
        const page = await store.list<Widget>("Widget", { limit: 1 });
        assert.ok(page.continue !== undefined);
        const next = await store.list<Widget>("Widget", { limit: 1, continue: page.continue });
        assert.deepEqual(
          next.items.map((w) => w.metadata.name),
          ["b"],
        );
        for (const name of ["d", "e", "f", "g", "h"]) await store.create<Widget>(widget(name));
        await assert.rejects(store.list("Widget", { continue: page.continue }), { code: "gone" });
        await assert.rejects(store.list("Widget", { continue: "not-a-token" }), { code: "invalid_argument" });
        await assert.rejects(store.list("Widget", { limit: 0 }), { code: "invalid_argument" });
      } finally {
        await store.close();
      }
      const db = new Database(path, { readonly: true });
      try {
        const rows = db.prepare<[], { rv: number }>("SELECT rv FROM events ORDER BY rv").all();
        assert.deepEqual(
          rows.map((r) => r.rv),
          [5, 6, 7, 8],
        );
      } finally {
        db.close();
      }
    }));

  it("delivers writes made after watch returned, before iteration starts", () =>
    withPath(async (path) => {
      const store = openSqliteStore({ path });
      try {
        const watch = store.watch<Widget>("Widget")[Symbol.asyncIterator]();
        const a = await store.create<Widget>(widget("a"));
        const first = await watch.next();
        assert.equal(first.done, false);
        assert.equal(first.value?.object.metadata.resourceVersion, a.metadata.resourceVersion);
        await watch.return?.();
      } finally {
        await store.close();
      }
    }));

  it("answers unavailable when another connection holds the write lock past the busy timeout", () =>
    withPath(async (path) => {
      const store = openSqliteStore({ path, busyTimeoutMs: 20 });
      const other = new Database(path);
      try {
        other.exec("BEGIN IMMEDIATE");
        await assert.rejects(store.create<Widget>(widget("a")), { code: "unavailable" });
        other.exec("ROLLBACK");
        assert.equal((await store.create<Widget>(widget("a"))).metadata.name, "a");
      } finally {
        other.close();
        await store.close();
      }
    }));

  it("rejects calls after close with unavailable and a bad watchHistory with invalid_argument", () =>
    withPath(async (path) => {
      assert.throws(() => openSqliteStore({ path, watchHistory: 0 }), { code: "invalid_argument" });
      const store = openSqliteStore({ path });
      await store.close();
      await assert.rejects(store.get("Widget", { name: "a" }), { code: "unavailable" });
    }));
});
