/**
 * Conformance cases for watches: ordering, resume, filters, `gone`, bookmarks, ending.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { OpenStore, Widget } from "./conformance-support.js";
import { expected, rejectsWith, rv, WatchReader, widget, withStore } from "./conformance-support.js";
import type { Store } from "./store.js";

async function currentVersion(store: Store): Promise<string> {
  return (await store.list("Widget")).resourceVersion;
}

/** Registers the watch cases. */
export function watchCases(open: OpenStore): void {
  it("watch delivers every change in resourceVersion order", () =>
    withStore(open, async (store) => {
      const watch = new WatchReader(
        store.watch<Widget>("Widget", { resourceVersion: await currentVersion(store) }),
      );
      const a = await store.create<Widget>(widget("a", { namespace: "n" }));
      const b = await store.create<Widget>(widget("b", { namespace: "n" }));
      const a2 = await store.update<Widget>({ ...a, spec: { size: 2 } });
      const b2 = await store.updateStatus<Widget>({ ...b, status: { ready: true } });
      await store.delete<Widget>("Widget", { namespace: "n", name: "a" });
      const events = await watch.take(5);
      assert.deepEqual(events.slice(0, 4), [
        expected("ADDED", a),
        expected("ADDED", b),
        expected("MODIFIED", a2),
        expected("MODIFIED", b2),
      ]);
      const [type, version] = (events[4] ?? "").split("@");
      assert.equal(type, "DELETED a");
      assert.ok(rv(version ?? "0") > rv(b2.metadata.resourceVersion));
      await watch.stop();
    }));

  it("watch resumes from a given resourceVersion with no gap and no duplicate", () =>
    withStore(open, async (store) => {
      const first = new WatchReader(
        store.watch<Widget>("Widget", { resourceVersion: await currentVersion(store) }),
      );
      let w = await store.create<Widget>(widget("a", { namespace: "n" }));
      for (const size of [2, 3, 4]) w = await store.update<Widget>({ ...w, spec: { size } });
      const events = await first.take(4);
      const resumeAt = (events[1] ?? "").split("@")[1] ?? "";
      const resumed = new WatchReader(store.watch<Widget>("Widget", { resourceVersion: resumeAt }));
      const last = await store.update<Widget>({ ...w, spec: { size: 5 } });
      assert.deepEqual(await resumed.take(3), [events[2], events[3], expected("MODIFIED", last)]);
      assert.deepEqual(await first.take(1), [expected("MODIFIED", last)]);
      await first.stop();
      await resumed.stop();
    }));

  it("watch without resourceVersion starts at the current version", () =>
    withStore(open, async (store) => {
      await store.create<Widget>(widget("before", { namespace: "n" }));
      const watch = new WatchReader(store.watch<Widget>("Widget", { bookmarkIntervalMs: 10 }));
      assert.equal((await watch.next()).type, "BOOKMARK");
      const after = await store.create<Widget>(widget("after", { namespace: "n" }));
      assert.deepEqual(await watch.take(1), [expected("ADDED", after)]);
      await watch.stop();
    }));

  it("watch honours namespace and label selector, like Kubernetes for objects entering or leaving", () =>
    withStore(open, async (store) => {
      const from = await currentVersion(store);
      const options = { namespace: "n1", labelSelector: "tier=web", resourceVersion: from };
      const watch = new WatchReader(store.watch<Widget>("Widget", options));
      await store.create<Widget>(widget("other", { namespace: "n2", labels: { tier: "web" } }));
      await store.create({
        ...widget("gadget", { namespace: "n1", labels: { tier: "web" } }),
        kind: "Gadget",
      });
      const plain = await store.create<Widget>(widget("plain", { namespace: "n1" }));
      const web = await store.create<Widget>(widget("web", { namespace: "n1", labels: { tier: "web" } }));
      const joined = await store.update<Widget>({
        ...plain,
        metadata: { ...plain.metadata, labels: { tier: "web" } },
      });
      const left = await store.update<Widget>({
        ...web,
        metadata: { ...web.metadata, labels: { tier: "api" } },
      });
      const resized = await store.update<Widget>({ ...joined, spec: { size: 3 } });
      assert.deepEqual(await watch.take(4), [
        expected("ADDED", web),
        expected("ADDED", joined),
        expected("DELETED", left),
        expected("MODIFIED", resized),
      ]);
      await watch.stop();
    }));

  it("watch with a bad label selector fails with invalid_argument", () =>
    withStore(open, async (store) => {
      await rejectsWith(
        new WatchReader(store.watch("Widget", { labelSelector: "a in (" })).next(),
        "invalid_argument",
      );
    }));

  it("watch from a resourceVersion older than the kept history fails with gone", () =>
    withStore(
      open,
      async (store) => {
        const from = await currentVersion(store);
        let w = await store.create<Widget>(widget("a", { namespace: "n" }));
        for (let size = 2; size < 12; size++) w = await store.update<Widget>({ ...w, spec: { size } });
        await rejectsWith(
          new WatchReader(store.watch<Widget>("Widget", { resourceVersion: from })).next(),
          "gone",
        );
        const fresh = new WatchReader(
          store.watch<Widget>("Widget", { resourceVersion: await currentVersion(store) }),
        );
        const next = await store.update<Widget>({ ...w, spec: { size: 20 } });
        assert.deepEqual(await fresh.take(1), [expected("MODIFIED", next)]);
        await fresh.stop();
      },
      { watchHistory: 3 },
    ));

  it("watch sends BOOKMARKs carrying the current resourceVersion while idle", () =>
    withStore(open, async (store) => {
      const from = await currentVersion(store);
      const watch = new WatchReader(
        store.watch<Widget>("Widget", { resourceVersion: from, bookmarkIntervalMs: 20 }),
      );
      const first = await watch.next();
      assert.equal(first.type, "BOOKMARK");
      assert.ok(rv(first.object.metadata.resourceVersion) >= rv(from));
      const a = await store.create<Widget>(widget("a", { namespace: "n" }));
      assert.deepEqual(await watch.take(1), [expected("ADDED", a)]);
      const second = await watch.next();
      assert.equal(second.type, "BOOKMARK");
      assert.ok(rv(second.object.metadata.resourceVersion) >= rv(a.metadata.resourceVersion));
      await watch.stop();
    }));

  it("watch ends when its signal aborts, and at once when already aborted", () =>
    withStore(open, async (store) => {
      const controller = new AbortController();
      const watch = new WatchReader(store.watch<Widget>("Widget", { signal: controller.signal }));
      const ended = watch.ended();
      controller.abort();
      assert.equal(await ended, true);
      const late = new WatchReader(store.watch<Widget>("Widget", { signal: controller.signal }));
      assert.equal(await late.ended(), true);
    }));

  it("close ends open watches", () =>
    withStore(open, async (store) => {
      const watch = new WatchReader(store.watch<Widget>("Widget"));
      const ended = watch.ended();
      await store.close();
      assert.equal(await ended, true);
    }));
}
