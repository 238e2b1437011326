/**
 * The server's autoscaling wiring (ADR 0024): CPU use from cgroup counters, and the autoscaler's
 * interval and scale-down stabilization window from `--autoscale-interval-seconds` (default 15)
 * and `--autoscale-stabilization-seconds` (default 300).
 */
import type { SlipwayManagerOptions } from "../controllers/index.js";
import { createInstanceCpuMetrics } from "./instance-cpu-metrics.js";

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new Error(`--${flag} must be a number of seconds between 0 and 86400 (e.g. 15), got "${value}"`);
  return Math.round(n * 1000);
}

/** The manager options that turn the autoscaler on, from the server's flags. Throws on a bad value. */
export function autoscalingOptions(
  interval: string | undefined,
  stabilization: string | undefined,
): Pick<SlipwayManagerOptions, "instanceMetrics" | "autoscaling"> {
  const intervalMs = seconds("autoscale-interval-seconds", interval);
  const stabilizationMs = seconds("autoscale-stabilization-seconds", stabilization);
  return {
    instanceMetrics: createInstanceCpuMetrics(),
    autoscaling: {
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(stabilizationMs === undefined ? {} : { stabilizationMs }),
    },
  };
}
