import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../resources/errors.js";
import { matchesSelector, parseLabelSelector } from "./label-selector.js";

function matches(selector: string, labels: Record<string, string> | undefined): boolean {
  return matchesSelector(parseLabelSelector(selector), labels);
}

describe("parseLabelSelector", () => {
  it("parses every operator into requirements", () => {
    assert.deepEqual(parseLabelSelector("a=b, c==d,e!=f, g in (x, y),h notin (z),i,!j"), [
      { key: "a", operator: "=", values: ["b"] },
      { key: "c", operator: "=", values: ["d"] },
      { key: "e", operator: "!=", values: ["f"] },
      { key: "g", operator: "in", values: ["x", "y"] },
      { key: "h", operator: "notin", values: ["z"] },
      { key: "i", operator: "exists", values: [] },
      { key: "j", operator: "notexists", values: [] },
    ]);
  });

  it("accepts prefixed keys and an empty selector", () => {
    assert.deepEqual(parseLabelSelector("slipway.dev/app=web"), [
      { key: "slipway.dev/app", operator: "=", values: ["web"] },
    ]);
    assert.deepEqual(parseLabelSelector("  "), []);
  });

  it("treats keys that merely start with in/notin as keys", () => {
    assert.deepEqual(parseLabelSelector("index,notinx"), [
      { key: "index", operator: "exists", values: [] },
      { key: "notinx", operator: "exists", values: [] },
    ]);
  });

  for (const [text, position] of [
    ["a=b,", 5],
    ["a in x", 6],
    ["a in (x", 8],
    ["=b", 1],
    ["a=b c", 5],
    ["a,,b", 3],
    ["!", 2],
  ] as const) {
    it(`rejects ${JSON.stringify(text)} naming position ${position}`, () => {
      assert.throws(
        () => parseLabelSelector(text),
        (err: unknown) =>
          err instanceof SlipwayError &&
          err.code === "invalid_argument" &&
          err.message.includes(`position ${position}`),
      );
    });
  }
});

describe("matchesSelector", () => {
  const labels = { app: "web", tier: "frontend" };

  it("matches equality and inequality", () => {
    assert.equal(matches("app=web", labels), true);
    assert.equal(matches("app==api", labels), false);
    assert.equal(matches("app!=api", labels), true);
    assert.equal(matches("app!=web", labels), false);
  });

  it("matches set membership", () => {
    assert.equal(matches("tier in (backend,frontend)", labels), true);
    assert.equal(matches("tier in (backend)", labels), false);
    assert.equal(matches("tier notin (backend)", labels), true);
    assert.equal(matches("tier notin (frontend)", labels), false);
  });

  it("matches existence", () => {
    assert.equal(matches("app", labels), true);
    assert.equal(matches("!app", labels), false);
    assert.equal(matches("missing", labels), false);
    assert.equal(matches("!missing", labels), true);
  });

  it("lets != and notin match objects without the key, as Kubernetes does", () => {
    assert.equal(matches("zone!=a", labels), true);
    assert.equal(matches("zone notin (a)", undefined), true);
    assert.equal(matches("zone in (a)", undefined), false);
  });

  it("requires every requirement to hold", () => {
    assert.equal(matches("app=web,tier=frontend", labels), true);
    assert.equal(matches("app=web,tier=backend", labels), false);
    assert.equal(matches("", undefined), true);
  });
});
