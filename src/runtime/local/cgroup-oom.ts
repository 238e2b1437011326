/**
 * Reads how many processes the kernel's OOM killer has killed in a cgroup, for cgroup v2
 * (`memory.events`) and v1 (`memory.oom_control`).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The `oom_kill` counter of a cgroup's `memory.events` (v2) or `memory.oom_control` (v1) text,
 * or undefined when the text has none (kernels before 4.13).
 */
export function parseOomKills(text: string): number | undefined {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The OOM kill count of `cgroupsPath` under `cgroupRoot` (default `/sys/fs/cgroup`), trying
 * the v2 layout then the v1 memory controller. Undefined when the cgroup does not exist, which
 * is the usual case after a sandbox exits: runsc removes the cgroups it created.
 */
export async function readOomKills(
  cgroupsPath: string,
  cgroupRoot = "/sys/fs/cgroup",
): Promise<number | undefined> {
  const candidates = [
    join(cgroupRoot, cgroupsPath, "memory.events"),
    join(cgroupRoot, "memory", cgroupsPath, "memory.oom_control"),
  ];
  for (const file of candidates) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    const kills = text === undefined ? undefined : parseOomKills(text);
    if (kills !== undefined) return kills;
  }
  return undefined;
}

/**
 * The host-wide OOM kill count (`oom_kill` in /proc/vmstat, memory-cgroup kills included), or
 * undefined when the kernel has none. An exit 137 that nobody asked for counts as an OOM kill
 * only when this moved meanwhile: a `kill -9` from outside also ends a sandbox with 137.
 */
export async function readHostOomKills(vmstat = "/proc/vmstat"): Promise<number | undefined> {
  const text = await readFile(vmstat, "utf8").catch(() => undefined);
  return text === undefined ? undefined : parseOomKills(text);
}
