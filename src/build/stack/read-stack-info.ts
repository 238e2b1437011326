/**
 * Reads a stack folder's `stack.json`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseStackInfo, type StackInfo } from "./stack-info.js";

/**
 * Reads `<dir>/stack.json`. Returns undefined when the file does not exist; throws with the
 * path when it exists but is not valid stack metadata.
 */
export async function readStackInfo(dir: string): Promise<StackInfo | undefined> {
  const path = join(dir, "stack.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const info = parseStackInfo(parsed);
  if (typeof info === "string") throw new Error(`${path}: ${info}`);
  return info;
}
