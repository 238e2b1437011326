/**
 * The secret key on disk, outside the database: `<data-dir>/secret.key`, 32 random bytes, mode
 * 0600, created on first start. A copy of the database alone then reveals no SECRET value.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SlipwayError } from "../resources/index.js";
import { KEY_BYTES, type SecretKey, secretKey, secretKeyFromText } from "./secret-key.js";

/** The key file's name in the data directory. */
export const KEY_FILE_NAME = "secret.key";

/** Where the server's key comes from; the first given wins. */
export interface SecretKeySource {
  /** The key as text (hex or base64), e.g. from the SLIPWAY_SECRET_KEY env var; read by main/. */
  text?: string;
  /** What to call `text` in errors. Default "the secret key". */
  textOrigin?: string;
  /** A key file the operator gives; it must exist. */
  file?: string;
  /** The data directory; `<dataDir>/secret.key` is created when absent. */
  dataDir: string;
}

/**
 * The server's key: from `text`, else from `file` (which must exist), else from
 * `<dataDir>/secret.key`, created on first use (see `loadKeyFile`).
 */
export async function loadSecretKey(source: SecretKeySource): Promise<SecretKey> {
  if (source.text !== undefined) return secretKeyFromText(source.text, source.textOrigin ?? "the secret key");
  if (source.file !== undefined) return loadKeyFile(source.file, { create: false });
  return loadKeyFile(join(source.dataDir, KEY_FILE_NAME), { create: true });
}

/**
 * Reads the key file at `path`: 32 raw bytes, or a key as text (see `secretKeyFromText`). With
 * `create`, a missing file is made: 32 random bytes written to a private temporary file with mode
 * 0600 and fsynced, then hard-linked into place, so a concurrent starter or a crash never leaves a
 * partial key and two starters end with the same key. Refuses a file that is not a regular file or
 * that its group or others may read or write (`failed_precondition`, saying to chmod 600).
 */
export async function loadKeyFile(path: string, options: { create: boolean }): Promise<SecretKey> {
  const existing = await readKey(path);
  if (existing !== undefined) return existing;
  if (!options.create)
    throw new SlipwayError("failed_precondition", `${path}: the secret key file does not exist`);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(randomBytes(KEY_BYTES));
    await handle.sync();
    await handle.close();
    await link(tmp, path).catch((err: unknown) => {
      if (!isCode(err, "EEXIST")) throw err;
    });
  } finally {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
  }
  const key = await readKey(path);
  if (key === undefined) throw new Error(`${path}: the secret key file disappeared after it was created`);
  return key;
}

async function readKey(path: string): Promise<SecretKey | undefined> {
  const info = await stat(path).catch((err: unknown) => {
    if (isCode(err, "ENOENT")) return undefined;
    throw err;
  });
  if (info === undefined) return undefined;
  if (!info.isFile())
    throw new SlipwayError("failed_precondition", `${path}: the secret key is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new SlipwayError(
      "failed_precondition",
      `${path}: the secret key file has mode ${mode}, so other users may read it; run chmod 600 ${path}`,
    );
  }
  const bytes = await readFile(path);
  return bytes.length === KEY_BYTES ? secretKey(bytes) : secretKeyFromText(bytes.toString("utf8"), path);
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof Error && "code" in err && err.code === code;
}
