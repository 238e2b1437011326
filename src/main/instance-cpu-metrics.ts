/**
 * The InstanceMetrics of this machine (ADR 0024): an instance's CPU use is the growth of its
 * sandbox's cgroup CPU counter between two calls, divided by the wall time between them and by
 * the vCPUs of its instance size (so 100% is a size's whole CPU quota, whatever the host has).
 */
import type { InstanceMetrics } from "../controllers/index.js";
import type { Deployment, Instance } from "../resources/index.js";
import { instanceLimits, readInstanceCpuUsage, type SandboxCpuUsage } from "../runtime/local/index.js";

/** Options of {@link createInstanceCpuMetrics}. */
export interface InstanceCpuMetricsOptions {
  /** Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** Reads a sandbox's counter; default {@link readInstanceCpuUsage} under `cgroupRoot`. */
  read?: (instance: string) => Promise<SandboxCpuUsage | undefined>;
  /** Milliseconds on a monotonic clock; default `performance.now()`. */
  nowMs?: () => number;
}

/** Baselines unused for this long are dropped (their instance is gone). */
const FORGET_AFTER_MS = 10 * 60_000;

function cpusOf(instance: Instance, deployment: Deployment): number {
  const spec = deployment.spec.appSpec;
  const component = [...(spec.services ?? []), ...(spec.workers ?? [])].find(
    (c) => c.name === instance.spec.component,
  );
  return instanceLimits(component?.instance_size_slug).cpus;
}

/** CPU use from cgroup counters; keeps one baseline per instance between calls. */
export function createInstanceCpuMetrics(options: InstanceCpuMetricsOptions = {}): InstanceMetrics {
  const read = options.read ?? ((instance: string) => readInstanceCpuUsage(instance, options.cgroupRoot));
  const nowMs = options.nowMs ?? (() => performance.now());
  const baselines = new Map<string, SandboxCpuUsage & { atMs: number }>();
  return {
    async cpuPercent(instance, deployment) {
      const name = instance.metadata.name;
      const atMs = nowMs();
      for (const [key, b] of baselines) if (atMs - b.atMs > FORGET_AFTER_MS) baselines.delete(key);
      const usage = await read(name);
      const previous = baselines.get(name);
      if (usage === undefined) {
        baselines.delete(name);
        return undefined;
      }
      baselines.set(name, { ...usage, atMs });
      // A restart is a new sandbox with a new counter: the old baseline says nothing about it.
      if (previous === undefined || previous.id !== usage.id || usage.usageMicros < previous.usageMicros)
        return undefined;
      const wallMicros = (atMs - previous.atMs) * 1000;
      if (wallMicros <= 0) return undefined;
      return ((usage.usageMicros - previous.usageMicros) / wallMicros / cpusOf(instance, deployment)) * 100;
    },
  };
}
