import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestPath } from "./request-path.js";

describe("parseRequestPath", () => {
  it("splits a plain path into decoded segments, ignoring the query and empty segments", () => {
    assert.deepEqual(parseRequestPath("/a//b%20c/d.js?x=/../y"), {
      ok: true,
      segments: ["a", "b c", "d.js"],
      trailingSlash: false,
    });
    assert.deepEqual(parseRequestPath("/"), { ok: true, segments: [], trailingSlash: true });
    assert.deepEqual(parseRequestPath("/docs/"), { ok: true, segments: ["docs"], trailingSlash: true });
    assert.deepEqual(parseRequestPath("/caf%C3%A9.txt").ok && parseRequestPath("/caf%C3%A9.txt"), {
      ok: true,
      segments: ["café.txt"],
      trailingSlash: false,
    });
  });

  for (const url of [
    "/../etc/passwd",
    "/a/../../b",
    "/./a",
    "/%2e%2e/etc/passwd",
    "/%2E%2E/x",
    "/.%2e/x",
    "/a%2f..%2fb",
    "/a%2F..",
    "/a\\..\\b",
    "/a%5c..%5cb",
    "/a%00.html",
    "/a\u0000b",
    "/%252e%252e/etc/passwd",
    "/%25252e",
    "/%zz",
    "/%",
    "/%c0%ae%c0%ae/",
    "/%ff",
    "http://evil/x",
    "*",
    "etc/passwd",
    "/a#b",
  ]) {
    it(`refuses ${JSON.stringify(url)} with 400`, () => {
      const parsed = parseRequestPath(url);
      assert.equal(parsed.ok, false);
      assert.equal(!parsed.ok && parsed.status, 400);
    });
  }

  it("hides dot files with 404 but serves .well-known", () => {
    const git = parseRequestPath("/.git/config");
    assert.equal(!git.ok && git.status, 404);
    const env = parseRequestPath("/app/.env");
    assert.equal(!env.ok && env.status, 404);
    assert.equal(parseRequestPath("/.well-known/security.txt").ok, true);
  });

  it("refuses a request target longer than the limit with 414", () => {
    const parsed = parseRequestPath(`/${"a".repeat(5000)}`);
    assert.equal(!parsed.ok && parsed.status, 414);
    assert.equal(parseRequestPath(`/${"a".repeat(99)}`, 100).ok, true);
  });
});
