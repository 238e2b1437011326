import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderNftRuleset } from "./nft-rules.js";

describe("renderNftRuleset", () => {
  it("renders input, forward and masquerade rules for the app bridges", () => {
    const script = renderNftRuleset({
      table: "slipway_slw",
      bridgeWildcard: "slw-b*",
      apps: [
        { bridge: "slw-baaaa", cidr: "10.89.0.0/26", egress: false },
        { bridge: "slw-bbbbb", cidr: "10.89.0.64/26", egress: true },
      ],
    });
    assert.equal(
      script,
      `table inet slipway_slw {}
delete table inet slipway_slw
table inet slipway_slw {
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "slw-b*" ct state established,related accept
    iifname "slw-b*" drop
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "slw-baaaa" oifname "slw-baaaa" accept
    iifname "slw-bbbbb" oifname "slw-bbbbb" accept
    iifname "slw-b*" oifname "slw-b*" drop
    oifname "slw-b*" ct state established,related accept
    oifname "slw-b*" drop
    iifname { "slw-bbbbb" } accept
    iifname "slw-b*" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr { 10.89.0.64/26 } oifname != "slw-b*" masquerade
  }
}
`,
    );
  });

  it("leaves out egress when no app has it, and only deletes the table when there are no apps", () => {
    const none = renderNftRuleset({
      table: "t",
      bridgeWildcard: "x-b*",
      apps: [{ bridge: "x-b1", cidr: "10.0.0.0/26", egress: false }],
    });
    assert.doesNotMatch(none, /masquerade|accept\n {4}iifname "x-b\*" drop\n {2}}\n {2}chain post/);
    assert.doesNotMatch(none, /iifname \{/);
    assert.equal(
      renderNftRuleset({ table: "t", bridgeWildcard: "x-b*", apps: [] }),
      "table inet t {}\ndelete table inet t\n",
    );
  });

  it("rejects names that could inject rules", () => {
    const apps = [{ bridge: 'x"; flush ruleset', cidr: "10.0.0.0/26", egress: false }];
    assert.throws(() => renderNftRuleset({ table: "t", bridgeWildcard: "x-b*", apps }), /invalid interface/);
    assert.throws(() => renderNftRuleset({ table: "t t", bridgeWildcard: "x", apps: [] }), /invalid table/);
  });

  it("lets an app reach only the listed TCP ports on its own gateway", () => {
    const script = renderNftRuleset({
      table: "t",
      bridgeWildcard: "x-b*",
      apps: [
        { bridge: "x-b1", cidr: "10.0.0.0/26", egress: false, gateway: "10.0.0.1", hostTcpPorts: [3128] },
      ],
    });
    assert.match(
      script,
      /established,related accept\n {4}iifname "x-b1" ip daddr 10\.0\.0\.1 tcp dport \{ 3128 \} accept\n {4}iifname "x-b\*" drop/,
    );
    const bad = (a: object) => () =>
      renderNftRuleset({
        table: "t",
        bridgeWildcard: "x-b*",
        apps: [{ bridge: "x-b1", cidr: "10.0.0.0/26", egress: false, ...a }],
      });
    assert.throws(bad({ hostTcpPorts: [80] }), /need its gateway/);
    assert.throws(bad({ gateway: "10.0.0.1; flush ruleset", hostTcpPorts: [80] }), /need its gateway/);
    assert.throws(bad({ gateway: "10.0.0.1", hostTcpPorts: [0] }), /invalid port/);
  });
});
