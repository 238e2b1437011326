/**
 * The autoscaler's decision (ADR 0024), pure and shaped like the Kubernetes Horizontal Pod
 * Autoscaler's: the ratio of the instances' mean CPU use to the target scales the instance count;
 * a ratio within the tolerance changes nothing; instances without a sample count as idle when
 * scaling up and as fully busy when scaling down (so a missing sample never drives a change);
 * scaling down waits for the stabilization window after the last scale; scaling up at most
 * doubles (or adds four) at once; the result stays within min and max.
 */

/** What {@link desiredReplicas} decides from. */
export interface AutoscaleInput {
  /** The component's live instance count now. */
  current: number;
  /** CPU use of the ready instances that have a sample, each in percent of its instance size's vCPUs. */
  cpuPercents: readonly number[];
  /** `autoscaling.metrics.cpu.percent`. */
  targetPercent: number;
  min: number;
  max: number;
  /** When the autoscaler last changed this component's count; undefined when never. */
  lastScaleTime: Date | undefined;
  now: Date;
  /** No scale-down within this long after the last scale. */
  stabilizationMs: number;
  /** Ratios within 1 ± tolerance change nothing; default 0.1 (as the HPA's). */
  tolerance?: number;
}

/** The decision: the count to run and why, in words. */
export interface AutoscaleDecision {
  replicas: number;
  reason: string;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function clamp(input: AutoscaleInput, replicas: number, why: string): AutoscaleDecision {
  const { current, min, max } = input;
  // Bounded step up: at most double, or four more, whichever is larger (the HPA's default policy).
  const step = Math.max(current * 2, current + 4);
  if (replicas > max)
    return { replicas: Math.min(max, step), reason: `${why}; capped at max_instance_count ${max}` };
  if (replicas < min) return { replicas: min, reason: `${why}; kept at min_instance_count ${min}` };
  if (replicas > step) return { replicas: step, reason: `${why}; limited to ${step} in one step` };
  return { replicas, reason: why };
}

/** The instance count a component should run now. */
export function desiredReplicas(input: AutoscaleInput): AutoscaleDecision {
  const { current, cpuPercents, targetPercent, now } = input;
  const tolerance = input.tolerance ?? 0.1;
  // Out of bounds (bounds changed, or a count set by hand): back within them first.
  if (current < input.min || current > input.max)
    return clamp(input, current, `count ${current} outside bounds`);
  if (cpuPercents.length === 0) return { replicas: current, reason: "no CPU samples yet" };
  const usage = mean(cpuPercents);
  const ratio = usage / targetPercent;
  const within = (r: number) => Math.abs(r - 1) <= tolerance;
  if (within(ratio)) return { replicas: current, reason: `CPU ${usage.toFixed(0)}% is within target` };
  const missing = Math.max(0, current - cpuPercents.length);
  const filled = [...cpuPercents, ...Array.from({ length: missing }, () => (ratio > 1 ? 0 : 100))];
  const filledRatio = mean(filled) / targetPercent;
  // Filling in the missing samples may flip or cancel the direction: then nothing changes.
  if (within(filledRatio) || filledRatio > 1 !== ratio > 1)
    return { replicas: current, reason: "instances without a CPU sample hold the count" };
  const wanted = Math.ceil(filledRatio * filled.length);
  const why = `CPU ${usage.toFixed(0)}% of target ${targetPercent}%`;
  if (wanted < current) {
    const since =
      input.lastScaleTime === undefined ? Infinity : now.getTime() - input.lastScaleTime.getTime();
    if (since < input.stabilizationMs)
      return { replicas: current, reason: `${why}; scale-down waits for the stabilization window` };
  }
  return clamp(input, wanted, why);
}
