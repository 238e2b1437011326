import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../../test/helpers/temp-store.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { API_VERSION, type NewResource, type ObjectKey, type Resource } from "../../resources/meta.js";
import type { Store, WatchEvent, WatchOptions } from "../../store/store.js";
import { createInformer, type Informer } from "./informer.js";
import type { Logger } from "./logger.js";

type Widget = Resource<"Widget", { size: number }>;

function widget(name: string, size = 1): NewResource<Widget> {
  return { apiVersion: API_VERSION, kind: "Widget", metadata: { name, namespace: "ns" }, spec: { size } };
}

/**
 * Delegates to the real store, but lets the test end the open watch and hold the next one
 * back, to provoke a watch that ends and then resumes from a version the store no longer keeps.
 */
class WatchCutter {
  watchCalls = 0;
  #cut = new AbortController();
  #gate: Promise<void> = Promise.resolve();
  #release: () => void = () => {};

  wrap(store: Store): Store {
    return {
      get: <R extends Resource>(kind: R["kind"], key: ObjectKey) => store.get<R>(kind, key),
      list: (kind, options) => store.list(kind, options),
      create: (object) => store.create(object),
      update: (object) => store.update(object),
      updateStatus: (object) => store.updateStatus(object),
      delete: (kind, key, options) => store.delete(kind, key, options),
      watch: <R extends Resource>(kind: R["kind"], options?: WatchOptions) =>
        this.#watch<R>(store, kind, options),
      close: () => store.close(),
    };
  }

  /** Ends the open watch and holds the next one until `release`. */
  cutAndHold(): void {
    this.#gate = new Promise((resolve) => {
      this.#release = resolve;
    });
    this.#cut.abort();
  }

  release(): void {
    this.#release();
  }

  async *#watch<R extends Resource>(
    store: Store,
    kind: R["kind"],
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<R>> {
    this.watchCalls++;
    this.#cut = new AbortController();
    await this.#gate;
    const signals = [this.#cut.signal, ...(options.signal === undefined ? [] : [options.signal])];
    yield* store.watch<R>(kind, { ...options, signal: AbortSignal.any(signals) });
  }
}

function recordingLogger(lines: string[]): Logger {
  return { info: (m) => lines.push(m), error: (m) => lines.push(m) };
}

describe("informer", () => {
  let temp: TempStore;
  let informer: Informer<Widget> | undefined;
  beforeEach(async () => {
    temp = await tempStore({ watchHistory: 3 });
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await temp.cleanup();
  });

  function record(target: Informer<Widget>): string[] {
    const events: string[] = [];
    target.addHandlers({
      onAdd: (o) => events.push(`add ${o.metadata.name}`),
      onUpdate: (p, o) => events.push(`update ${o.metadata.name} ${p.spec.size}->${o.spec.size}`),
      onDelete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    return events;
  }

  it("lists, syncs, then follows adds, updates and deletes", async () => {
    const store = temp.open();
    await store.create(widget("a"));
    informer = createInformer<Widget>({ store, kind: "Widget" });
    const events = record(informer);
    assert.equal(informer.hasSynced(), false);
    informer.start();
    await informer.waitForSync();
    assert.deepEqual(events, ["add a"]);
    const a = await store.get<Widget>("Widget", { namespace: "ns", name: "a" });
    await store.update({ ...a, spec: { size: 2 } });
    await store.create(widget("b"));
    await store.delete("Widget", { namespace: "ns", name: "a" });
    await waitFor(() => events.length === 4, 2000, "three watch events");
    assert.deepEqual(events, ["add a", "update a 1->2", "add b", "delete a"]);
    assert.deepEqual(
      informer.list().map((o) => o.metadata.name),
      ["b"],
    );
    assert.equal(informer.get({ namespace: "ns", name: "b" })?.spec.size, 1);
  });

  it("relists after a watch ends and after gone, emitting what changed meanwhile", async () => {
    const cutter = new WatchCutter();
    const store = cutter.wrap(temp.open());
    for (const name of ["a", "b", "c"]) await store.create(widget(name));
    const log: string[] = [];
    informer = createInformer<Widget>({ store, kind: "Widget", pageSize: 2, log: recordingLogger(log) });
    const events = record(informer);
    informer.start();
    await informer.waitForSync();
    await waitFor(() => cutter.watchCalls === 1, 2000, "the first watch");
    cutter.cutAndHold();
    await waitFor(() => cutter.watchCalls === 2, 2000, "the informer to relist and watch again");
    assert.ok(log.includes("watch ended; listing again"));
    assert.deepEqual(events, ["add a", "add b", "add c"], "an unchanged relist emits nothing");
    await store.delete("Widget", { namespace: "ns", name: "b" });
    await store.create(widget("d"));
    for (let size = 2; size <= 4; size++) {
      const c = await store.get<Widget>("Widget", { namespace: "ns", name: "c" });
      await store.update({ ...c, spec: { size } });
    }
    cutter.release();
    await waitFor(() => cutter.watchCalls === 3, 2000, "the watch after the relist");
    assert.ok(log.includes("watch version gone; listing again"), log.join("; "));
    assert.deepEqual(events.slice(3).sort(), ["add d", "delete b", "update c 1->4"]);
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ["a", "c", "d"],
    );
  });

  it("replays cached objects to handlers added after sync; stop rejects nothing once synced", async () => {
    const store = temp.open();
    await store.create(widget("a"));
    informer = createInformer<Widget>({ store, kind: "Widget" });
    informer.start();
    await informer.waitForSync();
    const events = record(informer);
    assert.deepEqual(events, ["add a"]);
    await informer.stop();
    await store.create(widget("z"));
    assert.equal(informer.get({ namespace: "ns", name: "z" }), undefined);
  });

  it("waitForSync rejects when the informer stops before syncing", async () => {
    const store = temp.open();
    informer = createInformer<Widget>({ store, kind: "Widget" });
    await informer.stop();
    await assert.rejects(informer.waitForSync(), /stopped before it synced/);
  });
});
