import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLineSplitter, createMasker } from "./mask-secrets.js";

describe("createMasker", () => {
  it("masks every occurrence of every secret, the longer first", () => {
    const mask = createMasker(["abc", "abcdef", ""]);
    assert.equal(mask("x abcdef y abc z"), "x **** y **** z");
    assert.equal(mask("nothing here"), "nothing here");
  });

  it("masks each line of a multi-line secret", () => {
    const mask = createMasker(["-----BEGIN KEY-----\nsecretbody\n-----END KEY-----"]);
    assert.equal(mask("line: secretbody"), "line: ****");
  });

  it("leaves lines alone when there are no secrets", () => {
    assert.equal(createMasker([])("a b"), "a b");
  });
});

describe("createLineSplitter", () => {
  it("emits whole lines across chunk borders, including split UTF-8 and a last partial line", () => {
    const lines: string[] = [];
    const split = createLineSplitter((l) => lines.push(l));
    const euro = Buffer.from("€");
    split.push(Buffer.from("hel"));
    split.push(Buffer.concat([Buffer.from("lo "), euro.subarray(0, 1)]));
    split.push(Buffer.concat([euro.subarray(1), Buffer.from("\r\nsec")]));
    assert.deepEqual(lines, ["hello €"]);
    split.push("ret\nlast");
    split.flush();
    assert.deepEqual(lines, ["hello €", "secret", "last"]);
  });

  it("with a masker, masks a secret split across two chunks", () => {
    const lines: string[] = [];
    const mask = createMasker(["hunter2"]);
    const split = createLineSplitter((l) => lines.push(mask(l)));
    split.push("pass=hun");
    split.push("ter2\n");
    assert.deepEqual(lines, ["pass=****"]);
  });
});
