/**
 * Current runsc pins the empty network namespace it gives every gofer as a bind mount at
 * `<root>/null-netns` (its `--shared-root`, which defaults to `--root`), so that the next gofer
 * joins it rather than making a new one. The mount outlives every sandbox: a folder holding a
 * runsc root cannot be removed (EBUSY) until it is unmounted, which is what runsc's own
 * UnmountNullNetNS does before it removes a root. Unmounting while other sandboxes run is safe:
 * each holds its namespace itself, and the next gofer pins a new one. Debian 12's runsc makes no
 * such mount; then this finds nothing to do.
 */
import { readFile } from "node:fs/promises";
import { runBounded } from "./runsc-command.js";

/** The file runsc pins the gofers' namespace at, in each root. */
export const NULL_NETNS = "null-netns";

/** Mount points (decoded) of /proc/self/mountinfo text that are `null-netns` files at or under `dir`. */
export function nullNetnsMounts(mountinfo: string, dir: string): string[] {
  const base = dir.replace(/\/+$/, "");
  const found = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const [head, tail] = line.split(" - ");
    const mountPoint = head?.split(" ")[4];
    if (mountPoint === undefined || tail === undefined || tail.split(" ")[0] !== "nsfs") continue;
    // mountinfo escapes space, tab, newline and backslash as octal.
    const path = mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (path.startsWith(`${base}/`) && path.endsWith(`/${NULL_NETNS}`)) found.add(path);
  }
  return [...found];
}

/**
 * Unmounts every pinned gofer namespace at or under `dir` (runsc roots anywhere in that tree), so
 * that the tree can be removed. Stacked mounts (concurrent runsc invocations may stack them) are
 * unmounted until none is left. Throws when one stays mounted.
 */
export async function releaseRunscRoots(dir: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const mounts = nullNetnsMounts(await readFile("/proc/self/mountinfo", "utf8"), dir);
    if (mounts.length === 0) return;
    for (const path of mounts) await runBounded("umount", ["--lazy", path], 5000);
  }
  const left = nullNetnsMounts(await readFile("/proc/self/mountinfo", "utf8"), dir);
  if (left.length > 0) throw new Error(`could not unmount runsc's ${left.join(", ")}`);
}
