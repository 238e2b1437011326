/**
 * Conformance cases for reads and writes: create/get/list, selectors, pagination, optimistic
 * concurrency, generation, the status subresource, finalizers.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { OpenStore, Widget } from "./conformance-support.js";
import { expected, rejectsWith, rv, WatchReader, widget, withStore } from "./conformance-support.js";

function names(items: Widget[]): string[] {
  return items.map((w) => `${w.metadata.namespace ?? ""}/${w.metadata.name}`);
}

/** Registers the create/get/list cases. */
export function readCases(open: OpenStore): void {
  it("create fills uid, resourceVersion, generation and creationTimestamp, and get returns it", () =>
    withStore(open, async (store) => {
      const input = { ...widget("a", { namespace: "team", labels: { app: "x" } }), status: { ready: true } };
      const created = await store.create<Widget>(input);
      assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.equal(created.metadata.generation, 1);
      assert.ok(rv(created.metadata.resourceVersion) > 0n);
      assert.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp)));
      assert.deepEqual(created.status, { ready: true });
      assert.deepEqual(created.metadata.labels, { app: "x" });
      assert.deepEqual(await store.get<Widget>("Widget", { namespace: "team", name: "a" }), created);
      const other = await store.create<Widget>(widget("b", { namespace: "team" }));
      assert.notEqual(other.metadata.uid, created.metadata.uid);
      assert.ok(rv(other.metadata.resourceVersion) > rv(created.metadata.resourceVersion));
    }));

  it("get of a missing object fails with not_found", () =>
    withStore(open, async (store) => {
      await rejectsWith(store.get("Widget", { namespace: "team", name: "nope" }), "not_found");
    }));

  it("create of a taken key fails with already_exists and changes nothing", () =>
    withStore(open, async (store) => {
      const first = await store.create<Widget>(widget("a", { namespace: "team" }));
      await rejectsWith(store.create<Widget>(widget("a", { namespace: "team", size: 9 })), "already_exists");
      assert.deepEqual(await store.get<Widget>("Widget", { namespace: "team", name: "a" }), first);
    }));

  it("create rejects names that are not DNS-1123 subdomains with invalid_argument", () =>
    withStore(open, async (store) => {
      for (const name of ["", "Upper", "under_score", "-dash", "x".repeat(254)]) {
        await rejectsWith(store.create<Widget>(widget(name)), "invalid_argument");
      }
      assert.deepEqual((await store.list<Widget>("Widget")).items, []);
    }));

  it("list orders by namespace then name and filters by namespace", () =>
    withStore(open, async (store) => {
      for (const [ns, name] of [
        ["b", "y"],
        ["a", "z"],
        ["b", "x"],
        ["a", "w"],
      ] as const) {
        await store.create<Widget>(widget(name, { namespace: ns }));
      }
      assert.deepEqual(names((await store.list<Widget>("Widget")).items), ["a/w", "a/z", "b/x", "b/y"]);
      assert.deepEqual(names((await store.list<Widget>("Widget", { namespace: "b" })).items), ["b/x", "b/y"]);
      assert.deepEqual((await store.list("Gadget")).items, []);
    }));

  it("list filters by label selector and rejects a bad one", () =>
    withStore(open, async (store) => {
      await store.create<Widget>(widget("a", { namespace: "n", labels: { tier: "web", env: "prod" } }));
      await store.create<Widget>(widget("b", { namespace: "n", labels: { tier: "api" } }));
      await store.create<Widget>(widget("c", { namespace: "n" }));
      const select = async (labelSelector: string) =>
        names((await store.list<Widget>("Widget", { labelSelector })).items);
      assert.deepEqual(await select("tier=web"), ["n/a"]);
      assert.deepEqual(await select("tier in (web,api)"), ["n/a", "n/b"]);
      assert.deepEqual(await select("tier!=web"), ["n/b", "n/c"]);
      assert.deepEqual(await select("!tier"), ["n/c"]);
      assert.deepEqual(await select("tier,env notin (prod)"), ["n/b"]);
      await rejectsWith(store.list("Widget", { labelSelector: "tier in web" }), "invalid_argument");
    }));

  it("list pages with limit and continue cover every object once", () =>
    withStore(open, async (store) => {
      for (const name of ["e", "d", "c", "b", "a"])
        await store.create<Widget>(widget(name, { namespace: "n" }));
      const all = await store.list<Widget>("Widget");
      const seen: string[] = [];
      let page = await store.list<Widget>("Widget", { limit: 2 });
      const pages = [page];
      while (page.continue !== undefined) {
        page = await store.list<Widget>("Widget", { limit: 2, continue: page.continue });
        pages.push(page);
      }
      for (const p of pages) seen.push(...names(p.items));
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [2, 2, 1],
      );
      assert.deepEqual(seen, names(all.items));
      assert.equal(pages[0]?.resourceVersion, all.resourceVersion);
      for (const item of all.items) assert.ok(rv(item.metadata.resourceVersion) <= rv(all.resourceVersion));
    }));
}

/** Registers the update, status and delete cases. */
export function writeCases(open: OpenStore): void {
  it("update with a stale resourceVersion fails with conflict; of two racing writers exactly one wins", () =>
    withStore(open, async (store) => {
      const read = await store.create<Widget>(widget("a", { namespace: "n" }));
      const results = await Promise.allSettled([
        store.update<Widget>({ ...read, spec: { size: 2 } }),
        store.update<Widget>({ ...read, spec: { size: 3 } }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      await rejectsWith(Promise.reject(lost[0]?.reason), "conflict");
      const stored = await store.get<Widget>("Widget", { namespace: "n", name: "a" });
      assert.deepEqual(stored, won[0]?.value);
      await rejectsWith(store.updateStatus<Widget>({ ...read, status: { ready: true } }), "conflict");
      await rejectsWith(
        store.update<Widget>({ ...read, metadata: { ...read.metadata, name: "zz" } }),
        "not_found",
      );
    }));

  it("update bumps generation only when spec changes and ignores status", () =>
    withStore(open, async (store) => {
      const created = await store.create<Widget>(widget("a", { namespace: "n" }));
      const relabeled = await store.update<Widget>({
        ...created,
        metadata: { ...created.metadata, labels: { new: "label" } },
        status: { ready: true },
      });
      assert.equal(relabeled.metadata.generation, 1);
      assert.deepEqual(relabeled.metadata.labels, { new: "label" });
      assert.equal(relabeled.status, undefined);
      assert.ok(rv(relabeled.metadata.resourceVersion) > rv(created.metadata.resourceVersion));
      const resized = await store.update<Widget>({ ...relabeled, spec: { size: 5 } });
      assert.equal(resized.metadata.generation, 2);
      assert.equal(resized.metadata.uid, created.metadata.uid);
      assert.equal(resized.metadata.creationTimestamp, created.metadata.creationTimestamp);
      const colored = await store.update<Widget>({ ...resized, spec: { size: 5, color: "red" } });
      assert.equal(colored.metadata.generation, 3);
      const reordered = await store.update<Widget>({ ...colored, spec: { color: "red", size: 5 } });
      assert.equal(reordered.metadata.generation, 3, "the same spec with its keys reordered is no change");
    }));

  it("updateStatus changes only status and resourceVersion, never generation or spec", () =>
    withStore(open, async (store) => {
      const created = await store.create<Widget>(widget("a", { namespace: "n", labels: { a: "b" } }));
      const updated = await store.updateStatus<Widget>({
        ...created,
        metadata: { ...created.metadata, labels: { changed: "yes" } },
        spec: { size: 99 },
        status: { ready: true },
      });
      assert.deepEqual(updated.status, { ready: true });
      assert.deepEqual(updated.spec, { size: 1 });
      assert.deepEqual(updated.metadata.labels, { a: "b" });
      assert.equal(updated.metadata.generation, 1);
      assert.ok(rv(updated.metadata.resourceVersion) > rv(created.metadata.resourceVersion));
      assert.deepEqual(
        { ...updated, metadata: { ...updated.metadata, resourceVersion: "" } },
        {
          ...created,
          status: { ready: true },
          metadata: { ...created.metadata, resourceVersion: "" },
        },
      );
    }));

  it("delete without finalizers removes the object and returns it", () =>
    withStore(open, async (store) => {
      const created = await store.create<Widget>(widget("a", { namespace: "n" }));
      const deleted = await store.delete<Widget>("Widget", { namespace: "n", name: "a" });
      assert.equal(deleted.metadata.uid, created.metadata.uid);
      await rejectsWith(store.get("Widget", { namespace: "n", name: "a" }), "not_found");
      await rejectsWith(store.delete("Widget", { namespace: "n", name: "a" }), "not_found");
    }));

  it("delete with a stale resourceVersion precondition fails with conflict", () =>
    withStore(open, async (store) => {
      const created = await store.create<Widget>(widget("a", { namespace: "n" }));
      await store.update<Widget>({ ...created, spec: { size: 2 } });
      const key = { namespace: "n", name: "a" };
      await rejectsWith(
        store.delete("Widget", key, { resourceVersion: created.metadata.resourceVersion }),
        "conflict",
      );
      assert.equal((await store.get<Widget>("Widget", key)).spec.size, 2);
    }));

  it("delete with finalizers sets deletionTimestamp; removing the last finalizer deletes", () =>
    withStore(open, async (store) => {
      const key = { namespace: "n", name: "a" };
      const created = await store.create<Widget>(
        widget("a", { namespace: "n", finalizers: ["x.dev/one", "x.dev/two"] }),
      );
      const watch = new WatchReader(
        store.watch<Widget>("Widget", { resourceVersion: created.metadata.resourceVersion }),
      );
      const marked = await store.delete<Widget>("Widget", key);
      assert.ok(marked.metadata.deletionTimestamp !== undefined);
      const stored = await store.get<Widget>("Widget", key);
      assert.equal(stored.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
      await rejectsWith(store.update<Widget>({ ...stored, spec: { size: 7 } }), "invalid_argument");
      const fin = ["x.dev/one", "x.dev/two", "x.dev/three"];
      await rejectsWith(
        store.update<Widget>({ ...stored, metadata: { ...stored.metadata, finalizers: fin } }),
        "invalid_argument",
      );
      const one = await store.update<Widget>({
        ...stored,
        metadata: { ...stored.metadata, finalizers: ["x.dev/two"] },
      });
      assert.deepEqual(one.metadata.finalizers, ["x.dev/two"]);
      assert.equal(one.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
      await store.update<Widget>({ ...one, metadata: { ...one.metadata, finalizers: [] } });
      await rejectsWith(store.get("Widget", key), "not_found");
      const events = await watch.take(3);
      assert.deepEqual(events.slice(0, 2), [expected("MODIFIED", marked), expected("MODIFIED", one)]);
      assert.match(events[2] ?? "", /^DELETED a@/);
      await watch.stop();
    }));
}
