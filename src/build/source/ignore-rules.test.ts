import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isIgnored, parseIgnoreRules } from "./ignore-rules.js";

describe("parseIgnoreRules / isIgnored", () => {
  const rules = parseIgnoreRules("# comment\n\n*.log\ntmp/\n/dist\ndocs/build\n!keep.log\nsrc/**/gen\n");

  it("always leaves out .git and node_modules at any depth", () => {
    assert.equal(isIgnored([], ".git", true), true);
    assert.equal(isIgnored([], "a/node_modules", true), true);
    assert.equal(isIgnored([], "a/node_modules.txt", false), false);
  });

  it("matches names at any depth, anchored paths from the root, folders only with a trailing slash", () => {
    const cases: [string, boolean, boolean][] = [
      ["x.log", false, true],
      ["a/b/x.log", false, true],
      ["keep.log", false, true],
      ["tmp", true, true],
      ["a/tmp", true, true],
      ["tmp", false, false],
      ["dist", true, true],
      ["a/dist", true, false],
      ["docs/build", true, true],
      ["x/docs/build", true, false],
      ["src/gen", true, true],
      ["src/a/b/gen", true, true],
      ["src/index.js", false, false],
    ];
    for (const [path, isDir, expected] of cases) assert.equal(isIgnored(rules, path, isDir), expected, path);
  });
});
