import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { findJsonError } from "./json-error.js";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("findJsonError", () => {
  it("finds no error exactly when JSON.parse succeeds", () => {
    const jsonish = fc.oneof(
      fc.json().map((s) => s),
      fc.string({ unit: fc.constantFrom(...'{}[]:,"\\ \n-0123456789.eEtruefalsn\u0000') }),
      fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 2 })).map(([s, at, junk]) => {
        const cut = at % (s.length + 1);
        return s.slice(0, cut) + junk + s.slice(cut + 1);
      }),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        assert.equal(findJsonError(text) === undefined, parses(text), JSON.stringify(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("points at the first bad character", () => {
    assert.deepEqual(findJsonError('{"a": 1, "b": x}'), {
      offset: 14,
      message: 'expected a value (object, array, string, number, true, false, null), found "x"',
    });
    assert.equal(findJsonError('{"a": [1, 2,]}')?.offset, 12);
    assert.equal(findJsonError('{"a": 1} x')?.offset, 9);
    assert.equal(findJsonError('"abc')?.message, "unterminated string, found the end of the file");
    assert.equal(findJsonError('"\\q"')?.offset, 1);
    assert.equal(findJsonError("01")?.offset, 1);
    assert.equal(findJsonError("{} "), undefined);
    assert.equal(findJsonError("[[], {}, [{}]]"), undefined);
  });

  it("survives deep nesting without overflowing the stack", () => {
    assert.equal(findJsonError("[".repeat(200_000))?.offset, 200_000);
  });
});
