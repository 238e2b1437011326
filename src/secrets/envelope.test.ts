import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { ENVELOPE_PREFIX, encryptValue, isDigitalOceanEncrypted, openEnvelope } from "./envelope.js";
import { generateSecretKey, keyring, secretKey, secretKeyFromText } from "./secret-key.js";

const key = generateSecretKey();
const ctx = "team-a/shop";

describe("envelopes", () => {
  for (const plain of ["", "hunter2", "ünïcödé ✓ 🔑", "x".repeat(100_000), "with:colons:and\nnewlines"]) {
    test(`round trip of a ${plain.length}-character value`, () => {
      const sealed = encryptValue(plain, key, ctx);
      assert.ok(sealed.startsWith(`${ENVELOPE_PREFIX}${key.id}:`));
      assert.ok(!sealed.includes(plain) || plain === "");
      assert.deepEqual(openEnvelope(sealed, key, ctx), { ok: true, value: plain });
    });
  }

  test("the format is slipway:v1:<8 hex key id>:<12-byte nonce>:<ciphertext + 16-byte tag>", () => {
    const sealed = encryptValue("abc", key, ctx);
    const [p, v, id, nonce, body, ...rest] = sealed.split(":");
    assert.deepEqual([p, v, rest], ["slipway", "v1", []]);
    assert.match(id ?? "", /^[0-9a-f]{8}$/);
    assert.equal(Buffer.from(nonce ?? "", "base64url").length, 12);
    assert.equal(Buffer.from(body ?? "", "base64url").length, 3 + 16);
  });

  test("the key id is the first 8 hex digits of sha256(key)", () => {
    const k = secretKey(Buffer.alloc(32, 7));
    // Computed independently: python3 -c "import hashlib;print(hashlib.sha256(bytes([7]*32)).hexdigest()[:8])"
    assert.equal(k.id, "4bb06f8e");
  });

  test("every flipped byte of the envelope body fails as not authentic", () => {
    const sealed = encryptValue("the password", key, ctx);
    const parts = sealed.split(":");
    const [head, nonce, body] = [parts.slice(0, 3).join(":"), parts[3], parts[4]];
    const raw = Buffer.from(body ?? "", "base64url");
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      const r = openEnvelope(`${head}:${nonce}:${bad.toString("base64url")}`, key, ctx);
      assert.equal(r.ok, false, `byte ${i}`);
      if (!r.ok) {
        assert.equal(r.reason, "not-authentic");
        assert.match(r.message, /was changed after it was encrypted/);
      }
    }
    const n = Buffer.from(nonce ?? "", "base64url");
    n[0] = (n[0] ?? 0) ^ 0x80;
    const r = openEnvelope(`${head}:${n.toString("base64url")}:${body}`, key, ctx);
    assert.equal(r.ok ? "opened" : r.reason, "not-authentic");
  });

  test("another key with another id is an unknown key; the same id with other bytes is not authentic", () => {
    const sealed = encryptValue("v", key, ctx);
    const other = generateSecretKey();
    const r = openEnvelope(sealed, other, ctx);
    assert.equal(r.ok ? "opened" : r.reason, "unknown-key");
    if (!r.ok)
      assert.match(
        r.message,
        new RegExp(`encrypted with key ${key.id}, which this server does not have \\(it has ${other.id}\\)`),
      );
    const forged = sealed.replace(`:${key.id}:`, `:${other.id}:`);
    const r2 = openEnvelope(forged, other, ctx);
    assert.equal(r2.ok ? "opened" : r2.reason, "not-authentic");
  });

  test("an older key in the keyring still decrypts", () => {
    const old = generateSecretKey();
    const sealed = encryptValue("v", old, ctx);
    assert.deepEqual(openEnvelope(sealed, keyring(key, old), ctx), { ok: true, value: "v" });
  });

  test("an envelope does not open for another app", () => {
    const sealed = encryptValue("v", key, ctx);
    const r = openEnvelope(sealed, key, "team-b/shop");
    assert.equal(r.ok ? "opened" : r.reason, "not-authentic");
  });

  for (const bad of [
    "slipway:v1:",
    "slipway:v1:zzzzzzzz:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
    "slipway:v1:0011aabb:short:AAAAAAAAAAAAAAAAAAAAAA",
    "slipway:v1:0011aabb:AAAAAAAAAAAAAAAA:AAAA",
    "slipway:v1:0011aabb:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:extra",
    "slipway:v1:0011aabb:AAAA+AAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
  ]) {
    test(`a malformed envelope is malformed: ${bad}`, () => {
      const r = openEnvelope(bad, key, ctx);
      assert.equal(r.ok ? "opened" : r.reason, "malformed");
    });
  }

  test("10,000 encryptions of one value use 10,000 different nonces and ciphertexts", () => {
    const nonces = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const parts = encryptValue("same", key, ctx).split(":");
      nonces.add(parts[3] ?? "");
      bodies.add(parts[4] ?? "");
    }
    assert.equal(nonces.size, 10_000);
    assert.equal(bodies.size, 10_000);
  });

  test("a key never shows its bytes when logged or serialized", () => {
    const bytes = Buffer.alloc(32, 0xab);
    const k = secretKey(bytes);
    const shown = `${JSON.stringify(k)} ${inspect(k, { depth: 10, showHidden: true })}`;
    assert.ok(!shown.includes(bytes.toString("hex")) && !shown.includes(bytes.toString("base64")), shown);
  });

  test("secretKeyFromText takes hex and base64 of 32 bytes, and nothing else", () => {
    const bytes = Buffer.alloc(32, 1);
    const id = secretKey(bytes).id;
    assert.equal(secretKeyFromText(` ${bytes.toString("hex")}\n`, "t").id, id);
    assert.equal(secretKeyFromText(bytes.toString("base64"), "t").id, id);
    assert.equal(secretKeyFromText(bytes.toString("base64url"), "t").id, id);
    assert.throws(
      () => secretKeyFromText("abc", "SLIPWAY_SECRET_KEY"),
      /^SlipwayError: SLIPWAY_SECRET_KEY: not a secret key/,
    );
    assert.throws(() => secretKeyFromText(Buffer.alloc(31).toString("hex"), "t"), /not a secret key/);
    assert.throws(() => secretKey(Buffer.alloc(16)), /32 bytes, got 16/);
  });

  test("DO's EV[...] values are recognized", () => {
    assert.equal(isDigitalOceanEncrypted("EV[1:abc:def]"), true);
    assert.equal(isDigitalOceanEncrypted("EVENT"), false);
  });
});
