import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  blockAt,
  blockCount,
  blockIndexOf,
  chooseBlock,
  chooseHost,
  formatIpv4,
  hostAddress,
  parseIpv4,
} from "./address-plan.js";

describe("address plan", () => {
  it("parses and formats IPv4 addresses", () => {
    assert.equal(parseIpv4("10.89.1.2"), 0x0a590102);
    assert.equal(formatIpv4(0x0a590102), "10.89.1.2");
    assert.throws(() => parseIpv4("10.89.1"), /not an IPv4/);
    assert.throws(() => parseIpv4("10.89.1.256"), /not an IPv4/);
  });

  it("cuts 10.89.0.0/16 into 1024 /26 blocks with the gateway at .1 of each", () => {
    assert.equal(blockCount(), 1024);
    assert.deepEqual(blockAt(5), {
      index: 5,
      network: "10.89.1.64",
      prefixLength: 26,
      gateway: "10.89.1.65",
      firstHost: 2,
      lastHost: 62,
    });
    assert.equal(hostAddress(blockAt(5), 2), "10.89.1.66");
    assert.equal(blockIndexOf("10.89.1.127"), 5);
    assert.equal(blockIndexOf("10.90.0.1"), undefined);
    assert.throws(() => blockAt(1024), /outside the pool/);
    assert.throws(() => blockAt(0, "10.89.0.0/16", 16), /longer than the pool/);
  });

  it("gives an app the same block every time and probes past taken ones", () => {
    const first = chooseBlock("app-1", new Set());
    assert.deepEqual(chooseBlock("app-1", new Set()), first);
    const next = chooseBlock("app-1", new Set([first.index]));
    assert.equal(next.index, (first.index + 1) % 1024);
    const all = new Set(Array.from({ length: 4 }, (_, i) => i));
    assert.throws(() => chooseBlock("x", all, "10.0.0.0/24", 26), /every one of the 4/);
  });

  it("picks the lowest free host number", () => {
    const block = blockAt(0);
    assert.equal(chooseHost(block, new Set()), 2);
    assert.equal(chooseHost(block, new Set([2, 3, 5])), 4);
    const full = new Set(Array.from({ length: 61 }, (_, i) => i + 2));
    assert.throws(() => chooseHost(block, full), /no free address/);
  });
});
