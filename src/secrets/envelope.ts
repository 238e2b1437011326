/**
 * One encrypted value: `slipway:v1:<key id>:<nonce>:<ciphertext+tag>` (base64url, no padding).
 * AES-256-GCM with a random 96-bit nonce per value. The associated data binds the envelope to its
 * key id and to a context (the App it belongs to), so an envelope copied from one app's spec into
 * another's does not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { asKeyring, type Keyring, type SecretKey } from "./secret-key.js";

/** How every envelope starts. */
export const ENVELOPE_PREFIX = "slipway:v1:";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** True when `value` looks like a Slipway envelope (whether or not it is well formed). */
export function isEnvelope(value: string): boolean {
  return value.startsWith(ENVELOPE_PREFIX);
}

/**
 * True for a value DigitalOcean encrypted with its own key (`EV[1:...:...]`, reference 1.11), as
 * found in specs exported from DO: Slipway cannot decrypt those.
 */
export function isDigitalOceanEncrypted(value: string): boolean {
  return /^EV\[.*\]$/s.test(value);
}

/** `plaintext` encrypted with `key` for `context`. */
export function encryptValue(plaintext: string, key: SecretKey, context: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(key.id, context));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${ENVELOPE_PREFIX}${key.id}:${nonce.toString("base64url")}:${sealed.toString("base64url")}`;
}

/** Why an envelope did not open. */
export type OpenFailure = "malformed" | "unknown-key" | "not-authentic";

/** The plaintext, or why there is none. */
export type OpenResult = { ok: true; value: string } | { ok: false; reason: OpenFailure; message: string };

/**
 * Decrypts `envelope` with the key of its id in `keys` for `context`. A value changed after
 * encryption, encrypted for another context, or with another key that has the same id, is
 * `not-authentic` (GCM's tag does not match); nothing of the plaintext is returned then.
 */
export function openEnvelope(envelope: string, keys: SecretKey | Keyring, context: string): OpenResult {
  const parts = envelope.split(":");
  const [, , id = "", nonceText = "", sealedText = ""] = parts;
  const nonce = Buffer.from(nonceText, "base64url");
  const sealed = Buffer.from(sealedText, "base64url");
  if (
    parts.length !== 5 ||
    !isEnvelope(envelope) ||
    !/^[0-9a-f]{8}$/.test(id) ||
    !B64URL.test(nonceText) ||
    !B64URL.test(sealedText) ||
    nonce.length !== NONCE_BYTES ||
    sealed.length < TAG_BYTES
  ) {
    return fail(
      "malformed",
      "is not a whole Slipway encrypted value (slipway:v1:<key id>:<nonce>:<ciphertext>)",
    );
  }
  const ring = asKeyring(keys);
  const key = ring.keys.find((k) => k.id === id);
  if (key === undefined) {
    const have = ring.keys.map((k) => k.id).join(", ");
    return fail(
      "unknown-key",
      `was encrypted with key ${id}, which this server does not have (it has ${have}); start the server with that key, or set the value again`,
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(id, context));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return { ok: true, value: plain.toString("utf8") };
  } catch {
    return fail(
      "not-authentic",
      `does not decrypt with key ${id}: it was changed after it was encrypted, or it belongs to another app; set the value again`,
    );
  }
}

function aad(id: string, context: string): Buffer {
  return Buffer.from(`${ENVELOPE_PREFIX}${id}:${context}`, "utf8");
}

function fail(reason: OpenFailure, message: string): OpenResult {
  return { ok: false, reason, message };
}
