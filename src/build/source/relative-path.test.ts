import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeRelativePath } from "./relative-path.js";

describe("normalizeRelativePath", () => {
  it("drops '.' and empty segments and a trailing slash", () => {
    for (const [raw, path] of [
      ["./a//b", "a/b"],
      ["a/./b/", "a/b"],
      ["..a/b..", "..a/b.."],
      ["é/ü", "é/ü"],
    ]) {
      assert.deepEqual(normalizeRelativePath(raw as string), { ok: true, path });
    }
  });

  it("names the problem", () => {
    for (const [raw, problem] of [
      ["", "empty"],
      [".", "empty"],
      ["/a", "absolute"],
      ["a/..", "parent"],
      ["a\tb", "control"],
      ["a\u007fb", "control"],
      ["a\\b", "backslash"],
      ["x".repeat(256), "segment-too-long"],
      [Array.from({ length: 11 }, () => "y".repeat(100)).join("/"), "too-long"],
    ]) {
      const result = normalizeRelativePath(raw as string);
      assert.equal(result.ok, false, raw);
      if (!result.ok) assert.equal(result.problem, problem, raw);
    }
  });
});
