import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nullNetnsMounts } from "./runsc-root.js";

const mountinfo = [
  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/root rw",
  "610 22 0:4 net:[4026532518] /var/lib/slipway/runtime/state/null-netns rw shared:1 - nsfs nsfs rw",
  "611 22 0:4 net:[4026532518] /var/lib/slipway/runtime/state/null-netns rw shared:1 - nsfs nsfs rw",
  "612 22 0:4 net:[4026532600] /var/lib/slipway/builds/a\\040b/state/null-netns rw shared:1 - nsfs nsfs rw",
  "613 22 0:4 net:[4026532601] /run/netns/app-1 rw shared:1 - nsfs nsfs rw",
  "614 22 0:4 net:[4026532602] /var/lib/slipway-other/state/null-netns rw shared:1 - nsfs nsfs rw",
  "615 22 0:50 / /var/lib/slipway/runtime/state/x/null-netns rw shared:1 - tmpfs tmpfs rw",
].join("\n");

describe("nullNetnsMounts", () => {
  it("finds runsc's pinned namespaces under a folder once each, decoding escaped paths", () => {
    assert.deepEqual(nullNetnsMounts(mountinfo, "/var/lib/slipway/"), [
      "/var/lib/slipway/runtime/state/null-netns",
      "/var/lib/slipway/builds/a b/state/null-netns",
    ]);
  });

  it("leaves out app namespaces, other trees and mounts that are not namespaces", () => {
    assert.deepEqual(nullNetnsMounts(mountinfo, "/run"), []);
    assert.deepEqual(nullNetnsMounts(mountinfo, "/var/lib/slipway/runtime/state/x"), []);
  });
});
