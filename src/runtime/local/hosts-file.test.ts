import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderHostsFile } from "./hosts-file.js";

describe("renderHostsFile", () => {
  it("maps component names to instance addresses after localhost", () => {
    assert.equal(
      renderHostsFile([
        { name: "web", ip: "10.89.0.2" },
        { name: "meta", ip: "10.89.0.3" },
      ]),
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.89.0.2\tweb\n10.89.0.3\tmeta\n",
    );
  });

  it("rejects names and addresses that would break the file", () => {
    assert.throws(() => renderHostsFile([{ name: "a b", ip: "10.0.0.1" }]), /invalid name/);
    assert.throws(() => renderHostsFile([{ name: "a", ip: "10.0.0.1\n1.2.3.4 evil" }]), /invalid address/);
  });
});
