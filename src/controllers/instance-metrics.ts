/**
 * What the autoscaler is handed to learn how busy instances are (ADR 0024). The local runtime
 * implements it from each sandbox's cgroup CPU counter; the composition root wires it in, and
 * controllers never import it.
 */
import type { Deployment } from "../resources/deployment.js";
import type { Instance } from "../resources/instance.js";

/** Measures running instances. */
export interface InstanceMetrics {
  /**
   * The CPU `instance` used since the previous call for it, in percent of its instance size's
   * vCPUs (100 = every vCPU it may use was busy). Undefined when not known (the first call for an
   * instance, which only takes a baseline, or its sandbox is gone or restarted meanwhile).
   */
  cpuPercent(instance: Instance, deployment: Deployment): Promise<number | undefined>;
}
