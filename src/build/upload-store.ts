/**
 * Uploaded source folders (gzip-compressed tar archives the CLI sends), kept by the sha256 of
 * their bytes: `<root>/<digest>.tar.gz`. Written to a temporary file and renamed, so a reader
 * sees a whole archive or none; storing the same bytes twice keeps one copy.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../resources/index.js";

/** A stored upload. */
export interface StoredUpload {
  /** `sha256:<64 hex>`. */
  digest: string;
  sizeBytes: number;
}

/** Where uploads are kept. */
export interface UploadStore {
  /** Stores `bytes` (a .tar.gz); invalid_argument when they are not gzip data. */
  put(bytes: Uint8Array): Promise<StoredUpload>;
  /** True when `digest` was stored. */
  has(digest: string): Promise<boolean>;
  /** The archive's file; throws invalid_argument for a malformed digest. */
  path(digest: string): string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An UploadStore in `root` (created on first use). */
export function createUploadStore(options: { root: string }): UploadStore {
  const pathOf = (digest: string) => {
    if (!DIGEST.test(digest))
      throw new SlipwayError(
        "invalid_argument",
        `"${digest}" is not an upload digest (sha256:<64 hex digits>)`,
      );
    return join(options.root, `${digest.slice("sha256:".length)}.tar.gz`);
  };
  return {
    async put(bytes) {
      if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b)
        throw new SlipwayError(
          "invalid_argument",
          "the upload is not a gzip-compressed tar archive (it must start with the gzip magic bytes 1f 8b)",
        );
      const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
      const file = pathOf(digest);
      await mkdir(options.root, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
      try {
        await writeFile(tmp, bytes, { mode: 0o600 });
        await rename(tmp, file);
      } finally {
        await rm(tmp, { force: true });
      }
      return { digest, sizeBytes: bytes.length };
    },
    async has(digest) {
      return stat(pathOf(digest)).then(
        (s) => s.isFile(),
        () => false,
      );
    },
    path: pathOf,
  };
}
