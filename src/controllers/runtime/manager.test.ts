import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../../test/helpers/temp-store.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { API_VERSION, type NewResource, type Resource } from "../../resources/meta.js";
import { createController } from "./controller.js";
import { createManager, type Manager, stopOnSignals } from "./manager.js";

function object(kind: string, name: string, owner?: { name: string; uid: string }): NewResource<Resource> {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: "ns",
      ...(owner === undefined
        ? {}
        : { ownerReferences: [{ apiVersion: API_VERSION, kind: "Widget", ...owner, controller: true }] }),
    },
    spec: {},
  };
}

describe("manager", () => {
  let temp: TempStore;
  let manager: Manager | undefined;
  beforeEach(async () => {
    temp = await tempStore();
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await temp.cleanup();
  });

  it("syncs informers before controllers start, and maps owned objects to their owner", async () => {
    const store = temp.open();
    const widget = await store.create(object("Widget", "w"));
    const reconciled: string[] = [];
    const controller = createController({
      name: "widgets",
      forKind: "Widget",
      owns: ["Gadget"],
      reconcile: async (key) => {
        reconciled.push(key.name);
        return {};
      },
    });
    manager = createManager({ store, controllers: [controller] });
    await manager.start();
    assert.equal(manager.informer("Widget")?.hasSynced(), true);
    assert.equal(manager.informer("Gadget")?.hasSynced(), true);
    await waitFor(() => reconciled.length === 1 && controller.idle(), 2000, "the initial reconcile");
    await store.create(object("Gadget", "g", { name: "w", uid: widget.metadata.uid }));
    await waitFor(() => reconciled.length === 2 && controller.idle(), 2000, "the owner's reconcile");
    assert.deepEqual(reconciled, ["w", "w"]);
  });

  it("refuses to start after stop, and to start twice", async () => {
    const store = temp.open();
    const controllers = () => [
      createController({ name: "w", forKind: "Widget", reconcile: async () => ({}) }),
    ];
    const stopped = createManager({ store, controllers: controllers() });
    await stopped.stop();
    await assert.rejects(stopped.start(), /was stopped/);
    manager = createManager({ store, controllers: controllers() });
    await manager.start();
    await assert.rejects(manager.start(), /started already/);
  });

  it("stopOnSignals stops the manager on the first SIGTERM and then lets go", async () => {
    const source = new EventEmitter();
    let stops = 0;
    const outcome = new Promise<unknown>((resolve) => {
      stopOnSignals(
        {
          stop: async () => {
            stops++;
          },
        },
        { source, onStopped: resolve },
      );
    });
    assert.equal(source.listenerCount("SIGTERM"), 1);
    source.emit("SIGTERM");
    assert.equal(await outcome, undefined);
    assert.equal(stops, 1);
    assert.equal(source.listenerCount("SIGTERM") + source.listenerCount("SIGINT"), 0);
  });

  it("stopOnSignals returns a function that removes its listeners", () => {
    const source = new EventEmitter();
    const remove = stopOnSignals({ stop: async () => {} }, { source });
    remove();
    assert.equal(source.listenerCount("SIGTERM") + source.listenerCount("SIGINT"), 0);
  });
});
