import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { CompressedCache, compress } from "./compressed-cache.js";

describe("CompressedCache", () => {
  it("keeps recently used bodies within its byte bound and makes each missing one once", async () => {
    const cache = new CompressedCache(100);
    let made = 0;
    const make = (n: number) => async () => {
      made += 1;
      return Buffer.alloc(n);
    };
    const [a, b] = await Promise.all([cache.get("a", make(20)), cache.get("a", make(20))]);
    assert.equal(a, b);
    assert.equal(made, 1);
    await cache.get("b", make(20));
    await cache.get("c", make(20));
    await cache.get("a", make(20)); // a becomes the most recent
    await cache.get("d", make(20));
    await cache.get("e", make(20)); // 100 bytes: all fit
    assert.equal(cache.bytes, 100);
    await cache.get("f", make(20)); // evicts b, the least recent
    assert.equal(cache.bytes, 100);
    made = 0;
    await cache.get("a", make(20));
    assert.equal(made, 0);
    await cache.get("b", make(20));
    assert.equal(made, 1);
  });

  it("never keeps a body larger than a quarter of the bound", async () => {
    const cache = new CompressedCache(100);
    await cache.get("big", async () => Buffer.alloc(26));
    assert.equal(cache.bytes, 0);
  });

  it("compresses with br and gzip to bodies that decode to the input", async () => {
    const input = Buffer.from("static ".repeat(200));
    assert.deepEqual(brotliDecompressSync(await compress(input, "br")), input);
    assert.deepEqual(gunzipSync(await compress(input, "gzip")), input);
  });
});
