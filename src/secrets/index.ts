/**
 * SECRET env values encrypted at rest (AES-256-GCM, key outside the database; ADR 0015): the key
 * and its file, one value's envelope, and whole-spec encrypt / decrypt / redact.
 */
export {
  ENVELOPE_PREFIX,
  encryptValue,
  isDigitalOceanEncrypted,
  isEnvelope,
  type OpenFailure,
  type OpenResult,
  openEnvelope,
} from "./envelope.js";
export { KEY_FILE_NAME, loadKeyFile, loadSecretKey, type SecretKeySource } from "./key-file.js";
export {
  asKeyring,
  generateSecretKey,
  KEY_BYTES,
  type Keyring,
  keyring,
  type SecretKey,
  secretKey,
  secretKeyFromText,
} from "./secret-key.js";
export {
  decryptSpecSecrets,
  type EncryptOptions,
  encryptSpecSecrets,
  hasPlaintextSecrets,
  REDACTED,
  redactSpecSecrets,
  secretContext,
} from "./spec-secrets.js";
