/**
 * The key SECRET env values are encrypted with: 32 bytes for AES-256-GCM, held as a node:crypto
 * KeyObject so that logging or serializing a key never prints its bytes. Its id, the first 8 hex
 * digits of sha256(key), is written into every envelope, so a server can hold old keys beside the
 * current one when keys are rotated.
 */
import { createHash, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { SlipwayError } from "../resources/index.js";

/** The length of a key in bytes (AES-256). */
export const KEY_BYTES = 32;

/** A key and its id. */
export interface SecretKey {
  /** First 8 hex digits of sha256(key bytes). */
  readonly id: string;
  readonly key: KeyObject;
}

/** The key new values are encrypted with, and every key values may have been encrypted with. */
export interface Keyring {
  readonly primary: SecretKey;
  /** Includes `primary`. */
  readonly keys: readonly SecretKey[];
}

/** A key from exactly 32 bytes; throws `invalid_argument` for any other length. */
export function secretKey(bytes: Uint8Array): SecretKey {
  if (bytes.length !== KEY_BYTES)
    throw new SlipwayError("invalid_argument", `a secret key is ${KEY_BYTES} bytes, got ${bytes.length}`);
  const id = createHash("sha256").update(bytes).digest("hex").slice(0, 8);
  return { id, key: createSecretKey(Buffer.from(bytes)) };
}

/** A new random key. */
export function generateSecretKey(): SecretKey {
  return secretKey(randomBytes(KEY_BYTES));
}

/**
 * A key written as text, as an operator gives it in an env var or a file: 64 hex digits, or the
 * base64 / base64url of 32 bytes (`openssl rand -base64 32`), surrounding white space ignored.
 * `origin` names where the text came from in the error (`SLIPWAY_SECRET_KEY`, a path).
 */
export function secretKeyFromText(text: string, origin: string): SecretKey {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return secretKey(Buffer.from(t, "hex"));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t, "base64");
    if (bytes.length === KEY_BYTES) return secretKey(bytes);
  }
  throw new SlipwayError(
    "invalid_argument",
    `${origin}: not a secret key; give 32 bytes as 64 hex digits or as base64 (openssl rand -base64 32)`,
  );
}

/** A keyring that encrypts with `primary` and decrypts with it or any of `older`. */
export function keyring(primary: SecretKey, ...older: SecretKey[]): Keyring {
  const keys = [primary, ...older.filter((k) => k.id !== primary.id)];
  return { primary, keys };
}

/** `k` as a keyring (a lone key is a keyring of one). */
export function asKeyring(k: SecretKey | Keyring): Keyring {
  return "primary" in k ? k : keyring(k);
}
