/**
 * Startup CPU boost (ADR 0029): an instance starts with up to twice its plan's CPUs (never more
 * than the host has) and drops to the plan's limit once it is ready, or when the boost window
 * ends, whichever comes first. Starting a runtime is a burst of work on several threads (the
 * sandbox's kernel, the gofer, V8's compiler threads); under the plan's CFS quota that burst is
 * throttled, and the instance takes longer to take traffic than it needs to. The quota is
 * lowered by writing the sandbox's cgroup (runsc names it after the sandbox id, instance-spec.ts).
 */

import { readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";

/** How long an instance may keep the boost when nothing reports it ready. */
export const STARTUP_BOOST_MS = 10_000;

/** The period the quotas are written for, as in oci-spec.ts. */
const CPU_PERIOD_US = 100_000;

/** CPUs an instance of `planCpus` starts with: twice the plan, capped at the host's CPUs, never less than the plan. */
export function boostedCpus(planCpus: number, hostCpus = availableParallelism()): number {
  return Math.max(planCpus, Math.min(planCpus * 2, hostCpus));
}

/**
 * Sets the CPU quota of sandbox `id` to `cpus`: cgroup v2 `cpu.max`, else v1
 * `cpu.cfs_quota_us`. False when the sandbox has no cgroup (it has ended); other errors throw.
 */
export async function setSandboxCpus(
  id: string,
  cpus: number,
  cgroupRoot = "/sys/fs/cgroup",
): Promise<boolean> {
  const quota = Math.round(cpus * CPU_PERIOD_US);
  const attempts: [string, string][] = [
    [join(cgroupRoot, id, "cpu.max"), `${quota} ${CPU_PERIOD_US}`],
    [join(cgroupRoot, "cpu", id, "cpu.cfs_quota_us"), String(quota)],
  ];
  for (const [file, text] of attempts) {
    try {
      // r+, never create: a missing file means this layout (or the sandbox) is not there.
      await writeFile(file, text, { flag: "r+" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return false;
}

const warn = (id: string) => (err: unknown) =>
  process.emitWarning(`sandbox ${id}: its startup CPU boost could not be ended: ${(err as Error).message}`);

/**
 * The CPU quota of sandbox `id` in CPUs (cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` over
 * `cpu.cfs_period_us`); undefined when it has no cgroup or no limit.
 */
export async function readSandboxCpus(
  id: string,
  cgroupRoot = "/sys/fs/cgroup",
): Promise<number | undefined> {
  const read = (file: string) =>
    readFile(file, "utf8").then(
      (t) => t.trim(),
      () => undefined,
    );
  const v2 = await read(join(cgroupRoot, id, "cpu.max"));
  if (v2 !== undefined) {
    const [quota, period] = v2.split(" ").map(Number);
    return quota !== undefined && period && Number.isFinite(quota) ? quota / period : undefined;
  }
  const quota = Number(await read(join(cgroupRoot, "cpu", id, "cpu.cfs_quota_us")));
  const period = Number(await read(join(cgroupRoot, "cpu", id, "cpu.cfs_period_us")));
  return quota > 0 && period > 0 ? quota / period : undefined;
}

type BoostOptions = { cgroupRoot?: string; onError?: (err: unknown) => void };

/**
 * Drops sandbox `id` to its plan's CPUs now; a failed write is reported to `onError`, by default
 * as a process warning (the instance then keeps its startup quota until it restarts: worth a
 * warning, not a crash).
 */
export async function endStartupBoost(
  id: string,
  planCpus: number,
  options: BoostOptions = {},
): Promise<void> {
  await setSandboxCpus(id, planCpus, options.cgroupRoot).catch((err: unknown) =>
    (options.onError ?? warn(id))(err),
  );
}

/** A running boost: {@link StartupBoost.end} drops the sandbox to its plan's CPUs. */
export interface StartupBoost {
  /** Ends the boost now (idempotent); the window's timer would end it otherwise. */
  end(): Promise<void>;
}

/** Ends the boost of sandbox `id` ({@link endStartupBoost}) after `windowMs` unless {@link StartupBoost.end} comes first. */
export function startupBoost(
  id: string,
  planCpus: number,
  options: BoostOptions & { windowMs?: number } = {},
): StartupBoost {
  let ending: Promise<void> | undefined;
  const end = (): Promise<void> => {
    clearTimeout(timer);
    ending ??= endStartupBoost(id, planCpus, options);
    return ending;
  };
  const timer = setTimeout(() => void end(), options.windowMs ?? STARTUP_BOOST_MS);
  timer.unref();
  return { end };
}
