/**
 * The repository root, found by walking up from this file to the folder with package.json, so
 * that compiled tests in dist/test/ find fixtures and binaries in the checkout.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The absolute path of the checkout. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no package.json above the test files");
    dir = up;
  }
  return dir;
}
