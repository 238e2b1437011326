/**
 * Issuers' keys as the PEM files HAProxy's `jwt_verify` loads when its configuration is loaded.
 * File names are hashes of issuer and kid, so any kid is a safe file name and a changed key
 * gets a new name.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IssuerKeys } from "./jwks-cache.js";
import type { JwtKey } from "./jwt-config.js";

/** The file a key is written to. */
export function keyFile(keyDir: string, issuer: string, kid: string, pem: string): string {
  const hash = (text: string, n: number) => createHash("sha256").update(text).digest("hex").slice(0, n);
  return join(keyDir, `${hash(issuer, 12)}-${hash(`${kid}\n${pem}`, 20)}.pem`);
}

/**
 * Writes every key of `sets` under `keyDir` and removes files no key needs. `changed` says
 * whether HAProxy must reload (a key appeared or went away) to see them.
 */
export async function writeJwtKeys(
  keyDir: string,
  sets: readonly IssuerKeys[],
): Promise<{ keys: JwtKey[]; changed: boolean }> {
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const keys: JwtKey[] = [];
  let changed = false;
  for (const set of sets) {
    for (const k of set.keys) {
      const file = keyFile(keyDir, set.issuer, k.kid, k.pem);
      const existing = await readFile(file, "utf8").catch(() => undefined);
      if (existing !== k.pem) {
        await writeFile(`${file}.tmp`, k.pem, { mode: 0o644 });
        await rename(`${file}.tmp`, file);
        changed = true;
      }
      keys.push({ issuer: set.issuer, kid: k.kid, alg: k.alg, file });
    }
  }
  const wanted = new Set(keys.map((k) => k.file));
  for (const name of await readdir(keyDir)) {
    const file = join(keyDir, name);
    if (name.endsWith(".pem") && !wanted.has(file)) {
      await rm(file, { force: true });
      changed = true;
    }
  }
  return { keys, changed };
}
