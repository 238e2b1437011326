import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_BUILD_EGRESS_ALLOW,
  parseConnectTarget,
  parseEgressAllowlist,
  splitHostList,
} from "./egress-allowlist.js";

describe("parseEgressAllowlist", () => {
  it("matches exact names in any case, with a trailing dot, and nothing else", () => {
    const list = parseEgressAllowlist(["Registry.npmjs.org", "pypi.org", "pypi.org"]);
    assert.deepEqual(list.entries, ["registry.npmjs.org", "pypi.org"]);
    assert.ok(list.allows("registry.npmjs.org"));
    assert.ok(list.allows("REGISTRY.NPMJS.ORG."));
    assert.ok(!list.allows("npmjs.org"));
    assert.ok(!list.allows("evil.registry.npmjs.org"));
    assert.ok(!list.allows("registry.npmjs.org.evil.com"));
    assert.ok(!list.allows("pypi.org.evil.com"));
  });

  it("matches names below a wildcard but not the domain itself", () => {
    const list = parseEgressAllowlist(["*.pythonhosted.org"]);
    assert.ok(list.allows("files.pythonhosted.org"));
    assert.ok(list.allows("a.b.pythonhosted.org"));
    assert.ok(!list.allows("pythonhosted.org"));
    assert.ok(!list.allows("evilpythonhosted.org"));
  });

  it("never allows IP literals or malformed names, and rejects them as entries", () => {
    const list = parseEgressAllowlist(DEFAULT_BUILD_EGRESS_ALLOW);
    for (const host of ["127.0.0.1", "::1", "203.0.113.80", "", "registry.npmjs.org/x", "a..b"])
      assert.ok(!list.allows(host), host);
    for (const bad of ["10.0.0.1", "*", "*.com.", "https://pypi.org", "pypi.org:443", "localhost", "a b.org"])
      assert.throws(() => parseEgressAllowlist([bad]), /is not a host name/, bad);
  });

  it("splits repeated, comma-separated flag values", () => {
    assert.deepEqual(splitHostList(["a.org, b.org", "", "c.org"]), ["a.org", "b.org", "c.org"]);
  });
});

describe("parseConnectTarget", () => {
  it("parses host:port and [v6]:port", () => {
    assert.deepEqual(parseConnectTarget("Registry.npmjs.org:443"), { host: "registry.npmjs.org", port: 443 });
    assert.deepEqual(parseConnectTarget("pypi.org.:443"), { host: "pypi.org", port: 443 });
    assert.deepEqual(parseConnectTarget("[::1]:8420"), { host: "::1", port: 8420 });
    assert.deepEqual(parseConnectTarget("127.0.0.1:80"), { host: "127.0.0.1", port: 80 });
  });

  it("rejects anything else", () => {
    for (const bad of [
      "pypi.org",
      "pypi.org:",
      ":443",
      "pypi.org:0",
      "pypi.org:70000",
      "a:b:443",
      "u@h:443",
      "h/x:443",
    ])
      assert.equal(parseConnectTarget(bad), undefined, bad);
  });
});
