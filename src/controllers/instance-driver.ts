/**
 * What the instance controller is handed to run instances on this machine. The local runtime
 * (gVisor sandboxes in app networks, supervised, health-checked) implements it and is wired in by
 * the composition root; controllers never import it.
 */
import type { Deployment } from "../resources/deployment.js";
import type { Instance, InstanceResourceStatus } from "../resources/instance.js";

/** What the driver observes of a running instance: the Instance status without bookkeeping. */
export type InstanceObservation = Omit<InstanceResourceStatus, "conditions" | "observedGeneration">;

/** One call of `InstanceDriver.run`. */
export interface InstanceRunRequest {
  /** The Instance as stored when the run started. */
  instance: Instance;
  /** Its Deployment: the spec snapshot (env, size, health checks) and artifacts. */
  deployment: Deployment;
  /** Called whenever `state()` changed; the controller then writes the Instance's status. */
  onChange(): void;
}

/** An instance the driver keeps running (restarting it when it exits) until `stop`. */
export interface RunningInstance {
  state(): InstanceObservation;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the instance and its network are gone. */
  stop(graceMs: number): Promise<void>;
}

/** Runs instances. */
export interface InstanceDriver {
  /**
   * Starts the instance, or adopts it when a sandbox of the same name still runs (a restarted
   * control plane). Rejects when it cannot even start (no artifact, bad env); crashes after the
   * start are reported through `state()`, with `phase: "Failed"` once the driver gives up.
   */
  run(request: InstanceRunRequest): Promise<RunningInstance>;
  /** Stops sandboxes of instances that no longer exist (`keep` names the ones that do). */
  sweep?(keep: ReadonlySet<string>): Promise<void>;
}
