import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseEncoding, etagMatches, isNotModified, parseRange } from "./negotiate.js";

describe("chooseEncoding", () => {
  const cases: [string | undefined, string][] = [
    [undefined, "identity"],
    ["", "identity"],
    ["gzip, deflate, br", "br"],
    ["gzip", "gzip"],
    ["x-gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["br;q=0, gzip;q=0", "identity"],
    ["*", "br"],
    ["*;q=0.1, br;q=0", "gzip"],
    ["identity", "identity"],
    ["deflate", "identity"],
    ["GZIP ; q=1", "gzip"],
  ];
  for (const [header, expected] of cases) {
    it(`picks ${expected} for ${JSON.stringify(header)}`, () =>
      assert.equal(chooseEncoding(header), expected));
  }
});

describe("conditional requests", () => {
  const etag = '"1f-18c"';
  const mtime = Date.parse("2026-01-02T03:04:05.678Z");
  it("matches If-None-Match weakly, in a list and with *", () => {
    assert.equal(etagMatches('"x", "1f-18c"', etag), true);
    assert.equal(etagMatches('W/"1f-18c"', etag), true);
    assert.equal(etagMatches("*", etag), true);
    assert.equal(etagMatches('"1f-18d"', etag), false);
  });
  it("answers 304 for If-Modified-Since at or after the second of mtime, and prefers If-None-Match", () => {
    assert.equal(
      isNotModified({ "if-modified-since": "Fri, 02 Jan 2026 03:04:05 GMT" }, [etag], mtime),
      true,
    );
    assert.equal(
      isNotModified({ "if-modified-since": "Fri, 02 Jan 2026 03:04:04 GMT" }, [etag], mtime),
      false,
    );
    assert.equal(isNotModified({ "if-modified-since": "garbage" }, [etag], mtime), false);
    const both = { "if-none-match": '"other"', "if-modified-since": "Fri, 02 Jan 2030 00:00:00 GMT" };
    assert.equal(isNotModified(both, [etag], mtime), false);
    assert.equal(isNotModified({}, [etag], mtime), false);
  });
});

describe("parseRange", () => {
  it("reads one range of each form and clamps the end", () => {
    assert.deepEqual(parseRange("bytes=0-9", 100), { kind: "partial", start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=90-", 100), { kind: "partial", start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-10", 100), { kind: "partial", start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-500", 100), { kind: "partial", start: 0, end: 99 });
    assert.deepEqual(parseRange("bytes=50-500", 100), { kind: "partial", start: 50, end: 99 });
  });
  it("refuses ranges past the end with 416 and ignores what it does not support", () => {
    assert.deepEqual(parseRange("bytes=100-", 100), { kind: "unsatisfiable" });
    assert.deepEqual(parseRange("bytes=-0", 100), { kind: "unsatisfiable" });
    assert.deepEqual(parseRange("bytes=0-1,5-6", 100), { kind: "whole" });
    assert.deepEqual(parseRange("items=0-1", 100), { kind: "whole" });
    assert.deepEqual(parseRange("bytes=9-2", 100), { kind: "whole" });
    assert.deepEqual(parseRange(undefined, 100), { kind: "whole" });
  });
  it("honours If-Range only when it names this representation", () => {
    const v = { etag: '"a"', lastModified: "Fri, 02 Jan 2026 03:04:05 GMT" };
    assert.equal(parseRange("bytes=0-1", 10, { ...v, header: '"a"' }).kind, "partial");
    assert.equal(parseRange("bytes=0-1", 10, { ...v, header: '"b"' }).kind, "whole");
    assert.equal(parseRange("bytes=0-1", 10, { ...v, header: v.lastModified }).kind, "partial");
    assert.equal(
      parseRange("bytes=0-1", 10, { ...v, header: "Thu, 01 Jan 2026 00:00:00 GMT" }).kind,
      "whole",
    );
  });
});
