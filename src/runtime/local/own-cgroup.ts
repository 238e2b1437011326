/**
 * A cgroup Slipway makes and owns, for instances that are not in gVisor (bubblewrap or plain
 * processes): runsc writes its sandbox's limits itself (ADR 0006), bwrap has none. Memory (no
 * swap), a CFS CPU quota and a pids limit, on cgroup v2 (`<root>/slipway/<name>`) or v1 (the
 * memory, cpu and pids controllers, each `<root>/<controller>/slipway/<name>`). Because the cgroup
 * is ours, its `oom_kill` counter is read before it is removed: OOM kills are known, not inferred.
 */
import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseOomKills } from "./cgroup-oom.js";

/** What the cgroup allows. */
export interface CgroupLimits {
  memoryMiB: number;
  /** May be fractional. */
  cpus: number;
  /** Processes (there is no sentry here: this counts the app's own processes and threads). */
  pidsLimit: number;
}

/** A cgroup made by {@link createOwnCgroup}. */
export interface OwnCgroup {
  /** The `cgroup.procs` files a process writes its pid to, to join every controller. */
  procsFiles: string[];
  /** Pids of every process in it. */
  pids(): Promise<number[]>;
  /** How many processes the OOM killer killed in it (undefined on kernels that do not say). */
  oomKills(): Promise<number | undefined>;
  /** SIGKILLs what is left and removes it; never throws. */
  remove(): Promise<void>;
}

const CPU_PERIOD_US = 100_000;

/** Makes `name` (a fresh one: writes the limits; throws when cgroups cannot be written). */
export async function createOwnCgroup(
  name: string,
  limits: CgroupLimits,
  root = "/sys/fs/cgroup",
): Promise<OwnCgroup> {
  const bytes = String(limits.memoryMiB * 1024 * 1024);
  const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
  const v2 = await access(join(root, "cgroup.controllers")).then(
    () => true,
    () => false,
  );
  if (v2) {
    const parent = join(root, "slipway");
    const dir = join(parent, name);
    await mkdir(dir, { recursive: true });
    for (const d of [root, parent])
      await writeFile(join(d, "cgroup.subtree_control"), "+memory +cpu +pids").catch(() => undefined);
    await writeFile(join(dir, "memory.max"), bytes);
    await writeFile(join(dir, "memory.swap.max"), "0").catch(() => undefined);
    await writeFile(join(dir, "cpu.max"), `${quota} ${CPU_PERIOD_US}`);
    await writeFile(join(dir, "pids.max"), String(limits.pidsLimit));
    return ownCgroup([dir], join(dir, "memory.events"));
  }
  const dirs = Object.fromEntries(
    ["memory", "cpu", "pids"].map((c) => [c, join(root, c, "slipway", name)]),
  ) as Record<"memory" | "cpu" | "pids", string>;
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  await writeFile(join(dirs.memory, "memory.limit_in_bytes"), bytes);
  // Only with swap accounting on; without it the host has no swap for the cgroup to use anyway.
  await writeFile(join(dirs.memory, "memory.memsw.limit_in_bytes"), bytes).catch(() => undefined);
  await writeFile(join(dirs.cpu, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
  await writeFile(join(dirs.cpu, "cpu.cfs_quota_us"), quota);
  await writeFile(join(dirs.pids, "pids.max"), String(limits.pidsLimit));
  return ownCgroup(Object.values(dirs), join(dirs.memory, "memory.oom_control"));
}

function ownCgroup(dirs: string[], oomFile: string): OwnCgroup {
  const pids = async (): Promise<number[]> => {
    const all = new Set<number>();
    for (const dir of dirs) {
      const text = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
      for (const line of text.split("\n")) if (line !== "") all.add(Number(line));
    }
    return [...all];
  };
  return {
    procsFiles: dirs.map((d) => join(d, "cgroup.procs")),
    pids,
    oomKills: async () => parseOomKills(await readFile(oomFile, "utf8").catch(() => "")),
    remove: async () => {
      // A process leaves its cgroups only once it has been reaped: retry for a few seconds.
      for (let attempt = 0; attempt < 100; attempt++) {
        for (const pid of await pids()) killQuietly(pid, "SIGKILL");
        let left = 0;
        for (const dir of dirs)
          await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") left++;
          });
        if (left === 0) return;
        await delay(50);
      }
    },
  };
}

/** `process.kill` that ignores a process that has gone. */
export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}
