/**
 * The ACME account key: created once (ECDSA P-256, PEM) and kept private (file 0600, folder 0700).
 * Losing it loses the account, not the certificates: a new key registers a new account.
 */
import { generateKeyPair } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";

const generate = promisify(generateKeyPair);

/**
 * Reads the account key at `file`, or creates it there. Two processes racing to create it both
 * end up with the one that was written first (`wx`); an existing key readable by others is made
 * 0600 again.
 */
export async function loadOrCreateAccountKey(file: string): Promise<string> {
  const existing = await readKey(file);
  if (existing !== undefined) return existing;
  const { privateKey } = await generate("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, privateKey, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return (await readKey(file)) ?? privateKey;
}

async function readKey(file: string): Promise<string | undefined> {
  try {
    const pem = await readFile(file, "utf8");
    await chmod(file, 0o600);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
