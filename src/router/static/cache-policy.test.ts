import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cacheControlFor, IMMUTABLE, isFingerprinted, REVALIDATE, SHORT } from "./cache-policy.js";

describe("isFingerprinted", () => {
  for (const name of [
    "index-BkVz8Q2a.js",
    "index-DiwrgTda.css",
    "vendor-a_b-3kQz.js",
    "app.3f9a1c2b.js",
    "main.3f9a1c2b4e5d6f70.chunk.js",
    "logo-4f3a9b1c.svg",
    "chunk-7d3e2f10.js.map",
  ]) {
    it(`takes ${name} for a hashed asset`, () => assert.equal(isFingerprinted(name), true));
  }
  for (const name of [
    "index.html",
    "app.js",
    "big-elephant.js",
    "my-component.js",
    "report-20240101.pdf",
    "favicon.ico",
    "styles.min.css",
    "deadbeef.js",
  ]) {
    it(`takes ${name} for a plain file`, () => assert.equal(isFingerprinted(name), false));
  }
});

describe("cacheControlFor", () => {
  it("revalidates HTML, makes hashed assets immutable and gives others a minute", () => {
    assert.equal(cacheControlFor("index.html", "text/html; charset=utf-8"), REVALIDATE);
    assert.equal(cacheControlFor("index-BkVz8Q2a.js", "text/javascript; charset=utf-8"), IMMUTABLE);
    assert.equal(cacheControlFor("logo.png", "image/png"), SHORT);
  });
});
