import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instanceLimits } from "./instance-sizes.js";

describe("instanceLimits", () => {
  it("defaults to apps-s-1vcpu-0.5gb: 1 CPU and 512 MiB", () => {
    assert.deepEqual(instanceLimits(), {
      slug: "apps-s-1vcpu-0.5gb",
      cpus: 1,
      memoryMiB: 512,
      pidsLimit: 576,
      tmpMiB: 128,
    });
  });

  it("follows the slug table, deprecated slugs included", () => {
    const big = instanceLimits("apps-d-8vcpu-32gb");
    assert.deepEqual([big.cpus, big.memoryMiB, big.tmpMiB], [8, 32768, 1024]);
    assert.deepEqual([instanceLimits("basic-xxs").cpus, instanceLimits("basic-xxs").memoryMiB], [1, 512]);
  });

  it("names an unknown slug", () => {
    assert.throws(() => instanceLimits("apps-s-9vcpu"), /unknown instance size "apps-s-9vcpu"/);
  });
});
