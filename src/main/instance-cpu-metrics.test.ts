import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployment, Instance } from "../resources/index.js";
import type { SandboxCpuUsage } from "../runtime/local/index.js";
import { createInstanceCpuMetrics } from "./instance-cpu-metrics.js";

const deployment = {
  spec: {
    appSpec: {
      name: "shop",
      services: [{ name: "web", instance_size_slug: "apps-d-2vcpu-4gb" }],
      workers: [{ name: "jobs" }],
    },
  },
} as unknown as Deployment;

const instance = (component: string) =>
  ({ metadata: { name: `shop-d1-${component}-0` }, spec: { component } }) as unknown as Instance;

describe("createInstanceCpuMetrics", () => {
  it("turns counter growth over wall time into percent of the size's vCPUs, after a baseline", async () => {
    let usage: SandboxCpuUsage | undefined = { id: "x-0", usageMicros: 0 };
    let now = 0;
    const metrics = createInstanceCpuMetrics({ read: async () => usage, nowMs: () => now });
    const web = instance("web");
    assert.equal(await metrics.cpuPercent(web, deployment), undefined, "the first call takes a baseline");
    // 1 s of wall time, 1 s of CPU, 2 vCPUs: 50%.
    now = 1000;
    usage = { id: "x-0", usageMicros: 1_000_000 };
    assert.equal(await metrics.cpuPercent(web, deployment), 50);
    // The default size (apps-s-1vcpu-0.5gb) has 1 vCPU: 0.25 s in 1 s is 25%.
    const jobs = instance("jobs");
    usage = { id: "y-0", usageMicros: 0 };
    await metrics.cpuPercent(jobs, deployment);
    now = 2000;
    usage = { id: "y-0", usageMicros: 250_000 };
    assert.equal(await metrics.cpuPercent(jobs, deployment), 25);
  });

  it("knows nothing right after a restart (a new sandbox) or once the sandbox is gone", async () => {
    let usage: SandboxCpuUsage | undefined = { id: "x-0", usageMicros: 5_000_000 };
    let now = 0;
    const metrics = createInstanceCpuMetrics({ read: async () => usage, nowMs: () => now });
    const web = instance("web");
    await metrics.cpuPercent(web, deployment);
    now = 1000;
    usage = { id: "x-1", usageMicros: 100 };
    assert.equal(await metrics.cpuPercent(web, deployment), undefined);
    now = 2000;
    usage = undefined;
    assert.equal(await metrics.cpuPercent(web, deployment), undefined);
  });
});
