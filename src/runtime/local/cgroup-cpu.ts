/**
 * Reads how much CPU a sandbox has used from its cgroup, for cgroup v2 (`cpu.stat` usage_usec)
 * and v1 (`cpuacct.usage`, nanoseconds). runsc places each sandbox in the cgroup named by its
 * OCI `cgroupsPath`, `/<sandbox id>` (instance-spec.ts), and an instance's sandbox ids are
 * `<instance>-<attempt>`, one per (re)start.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** CPU time a sandbox used, read from its cgroup. */
export interface SandboxCpuUsage {
  /** The sandbox id (the cgroup's name). */
  id: string;
  /** Microseconds of CPU time since the sandbox started, every CPU counted. */
  usageMicros: number;
}

/** The `usage_usec` of a cgroup v2 `cpu.stat` text, or undefined when it has none. */
export function parseCpuStatUsage(text: string): number | undefined {
  const match = /^usage_usec (\d+)$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The attempt number when `entry` is a sandbox id of `instance` (`<instance>-<n>`), else undefined. */
export function sandboxAttempt(instance: string, entry: string): number | undefined {
  if (!entry.startsWith(`${instance}-`)) return undefined;
  const rest = entry.slice(instance.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

async function newestSandbox(dir: string, instance: string): Promise<string | undefined> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let best: { id: string; attempt: number } | undefined;
  for (const entry of entries) {
    const attempt = sandboxAttempt(instance, entry);
    if (attempt !== undefined && (best === undefined || attempt > best.attempt))
      best = { id: entry, attempt };
  }
  return best?.id;
}

/**
 * The CPU usage of the newest sandbox of `instance` (the one with the highest attempt), trying
 * the cgroup v2 layout under `cgroupRoot` (default `/sys/fs/cgroup`), then the v1 `cpuacct`
 * controller. Undefined when no cgroup of it exists (not started yet, or gone).
 */
export async function readInstanceCpuUsage(
  instance: string,
  cgroupRoot = "/sys/fs/cgroup",
): Promise<SandboxCpuUsage | undefined> {
  const v2 = await newestSandbox(cgroupRoot, instance);
  if (v2 !== undefined) {
    const text = await readFile(join(cgroupRoot, v2, "cpu.stat"), "utf8").catch(() => undefined);
    const usec = text === undefined ? undefined : parseCpuStatUsage(text);
    if (usec !== undefined) return { id: v2, usageMicros: usec };
  }
  const v1Root = join(cgroupRoot, "cpuacct");
  const v1 = await newestSandbox(v1Root, instance);
  if (v1 === undefined) return undefined;
  const text = await readFile(join(v1Root, v1, "cpuacct.usage"), "utf8").catch(() => undefined);
  const nanos = text === undefined || !/^\d+\s*$/.test(text) ? undefined : Number(text.trim());
  return nanos === undefined ? undefined : { id: v1, usageMicros: Math.floor(nanos / 1000) };
}
