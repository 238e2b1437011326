import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Instance, InstanceResourceStatus } from "../resources/index.js";
import type { InstanceNetwork, ListedInstance } from "../runtime/local/index.js";
import { type AdoptedSandbox, resumedObservation, sandboxLabels } from "./adopt-instances.js";

function instance(status?: InstanceResourceStatus): Instance {
  return {
    apiVersion: "slipway.dev/v1",
    kind: "Instance",
    metadata: {
      name: "web-abc-web-0",
      namespace: "team",
      uid: "uid-1",
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
      app: "shop",
      appUid: "app-1",
      deployment: "web-abc",
      component: "web",
      componentKind: "services",
      index: 0,
      artifactId: "a1",
    },
    ...(status === undefined ? {} : { status }),
  } as Instance;
}

const adopted: AdoptedSandbox = {
  listed: { id: "web-abc-web-0-2" } as ListedInstance,
  net: {} as InstanceNetwork,
  attempt: 2,
  hostsFile: "/h/web-abc-web-0-2",
};

const running: InstanceResourceStatus = {
  phase: "Running",
  ready: true,
  restarts: 1,
  startedAt: "2026-01-01T00:00:01Z",
  readyAt: "2026-01-01T00:00:02Z",
};

describe("resumedObservation", () => {
  it("keeps an adopted ready instance ready, with its restarts", () => {
    assert.deepEqual(resumedObservation(instance(running), adopted), {
      restarts: 1,
      everReady: true,
      crashedWhileDown: false,
      ready: true,
    });
  });

  it("counts an instance whose sandbox is gone as a crash", () => {
    assert.deepEqual(resumedObservation(instance(running), undefined), {
      restarts: 2,
      everReady: true,
      crashedWhileDown: true,
      ready: false,
    });
  });

  it("starts a never-started instance plainly", () => {
    assert.deepEqual(resumedObservation(instance(), undefined), {
      restarts: 0,
      everReady: false,
      crashedWhileDown: false,
      ready: false,
    });
  });
});

describe("sandboxLabels", () => {
  it("names the instance by uid, with its app, component and deployment", () => {
    assert.deepEqual(sandboxLabels(instance()), {
      instance: "web-abc-web-0",
      namespace: "team",
      uid: "uid-1",
      app: "shop",
      component: "web",
      deployment: "web-abc",
    });
  });
});
