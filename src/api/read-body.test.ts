import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isErrorCode, SlipwayError } from "../resources/index.js";
import { jsonErrorOffset, lineColumn, parseJson, readBody } from "./read-body.js";

function streamOf(chunks: number, size: number): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ >= chunks) controller.close();
      else controller.enqueue(new Uint8Array(size));
    },
  });
  return new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit);
}

describe("readBody", () => {
  it("reads a body within the limit", async () => {
    assert.equal((await readBody(streamOf(3, 10), 100)).byteLength, 30);
  });

  it("stops reading with too_large once the limit is passed, without Content-Length", async () => {
    await assert.rejects(readBody(streamOf(1000, 1024), 4096), (err) => isErrorCode(err, "too_large"));
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const request = new Request("http://x/", {
      method: "POST",
      body: "abc",
      headers: { "content-length": "5000" },
    });
    await assert.rejects(readBody(request, 4096), (err) => isErrorCode(err, "too_large"));
  });
});

describe("parseJson", () => {
  const cases: [string, number, number][] = [
    ['{"a": }', 1, 7],
    ['{\n  "a": 1,\n  "b" 2\n}', 3, 7],
    ["[1, 2", 1, 6],
    ['{"a": tru}', 1, 7],
    ["[1] x", 1, 5],
    ['{"a": 1,}', 1, 9],
  ];
  for (const [text, line, column] of cases) {
    it(`places the error of ${JSON.stringify(text)} at ${line}:${column}`, () => {
      assert.throws(
        () => parseJson(text),
        (err) =>
          err instanceof SlipwayError && err.details[0]?.line === line && err.details[0]?.column === column,
      );
    });
  }

  it("parses valid JSON", () => {
    assert.deepEqual(parseJson('{"a": [1, "b\\"", null]}'), { a: [1, 'b"', null] });
  });

  it("survives hostile nesting without overflowing the stack", () => {
    const text = `${"[".repeat(200_000)}x`;
    assert.equal(jsonErrorOffset(text), 200_000);
  });

  it("computes 1-based line and column", () => {
    assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
  });
});
