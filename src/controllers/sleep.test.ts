/**
 * Scale to zero through the controllers on the real SQLite store (ADR 0023): the sleep controller
 * suspends an idle service's instances, the instance controller stops their runs and reports
 * Suspended, the rollout leaves the ACTIVE deployment alone, and clearing `suspended` (what the
 * activator does) starts them again. The instance driver is an in-process fake.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";
import { API_VERSION } from "../resources/meta.js";
import type { Store } from "../store/store.js";
import type { Builder } from "./builder.js";
import type { InstanceDriver, InstanceObservation, RunningInstance } from "./instance-driver.js";
import { createManager, type Manager } from "./runtime/manager.js";
import { createSleepController } from "./sleep-controller.js";
import { createSlipwayManager } from "./slipway-manager.js";

const NS = "acme";

class Run implements RunningInstance {
  stopped = false;
  observation: InstanceObservation = {
    phase: "Starting",
    ready: false,
    restarts: 0,
    address: "10.0.0.9",
    port: 8080,
  };
  constructor(
    readonly name: string,
    onChange: () => void,
  ) {
    queueMicrotask(() => {
      this.observation = { ...this.observation, phase: "Running", ready: true };
      onChange();
    });
  }
  state(): InstanceObservation {
    return this.observation;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const builder: Builder = { build: async () => ({ artifactId: "art" }) as never };

describe("sleep controller with the instance controller", () => {
  let temp: TempStore;
  let store: Store;
  let managers: Manager[] = [];
  const runs: Run[] = [];
  let requests = 0;
  const driver: InstanceDriver = {
    run: async (r) => {
      const run = new Run(r.instance.metadata.name, r.onChange);
      runs.push(run);
      return run;
    },
  };

  beforeEach(async () => {
    temp = await tempStore();
    store = temp.open();
    runs.length = 0;
    requests = 0;
    managers = [
      createSlipwayManager({ store, builder, instanceDriver: driver }),
      createManager({
        store,
        controllers: [createSleepController({ store, requestTotals: async () => requests })],
      }),
    ];
    for (const m of managers) await m.start();
    await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: {
        appSpec: {
          name: "shop",
          services: [
            {
              name: "web",
              git: { repo_clone_url: "https://example.com/r.git", branch: "main" },
              instance_count: 2,
              inactivity_sleep: { after_seconds: 2 },
            },
          ],
        },
      },
    });
  });
  afterEach(async () => {
    for (const m of managers.reverse()) await m.stop();
    await temp.cleanup();
  });

  const instances = async () => (await store.list<Instance>("Instance", { namespace: NS })).items;
  const deployment = async () => (await store.list<Deployment>("Deployment", { namespace: NS })).items[0];

  it("suspends an idle service's instances, stops their runs and keeps the deployment ACTIVE", async () => {
    await waitFor(async () => (await deployment())?.status?.phase === "ACTIVE", 10_000, "ACTIVE");
    await waitFor(
      async () => {
        const all = await instances();
        return all.length === 2 && all.every((i) => i.status?.phase === "Suspended");
      },
      15_000,
      "both instances Suspended",
    );
    const all = await instances();
    assert.equal(all.length, 2, "no instance replaced or added");
    assert.ok(all.every((i) => i.spec.suspended === true && i.status?.ready === false));
    assert.ok(runs.every((r) => r.stopped));
    assert.equal((await deployment())?.status?.phase, "ACTIVE");
  });

  it("starts suspended instances again once suspended is cleared, and they serve again", async () => {
    await waitFor(
      async () => {
        const all = await instances();
        return all.length === 2 && all.every((i) => i.status?.phase === "Suspended");
      },
      20_000,
      "both instances Suspended",
    );
    const before = runs.length;
    requests++;
    for (const i of await instances()) {
      const { suspended: _, ...spec } = i.spec;
      await store.update<Instance>({ ...i, spec });
    }
    await waitFor(
      async () => (await instances()).every((i) => i.status?.ready === true && i.spec.suspended !== true),
      10_000,
      "both instances ready again",
    );
    assert.equal(runs.length, before + 2);
    assert.equal((await deployment())?.status?.phase, "ACTIVE");
  });
});
