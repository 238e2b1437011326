/**
 * What the JobInvocation controller is handed to run jobs. The real runner (a gVisor sandbox
 * started from the Deployment's artifact of the job) comes from the runtime and is wired in by
 * the composition root; controllers never import it.
 */
import type { JobInvocation } from "../resources/job-invocation.js";

/** One call of `JobRunner.run`. */
export interface JobRunRequest {
  /**
   * The invocation as stored when the run started: `spec.deployment` and `spec.job` name the
   * artifact and the job spec (run command, envs) to run.
   */
  invocation: JobInvocation;
  /**
   * Aborted on timeout, on cancel and when the controller stops. The runner should stop the job
   * (SIGTERM, then SIGKILL after the job's termination grace period) and settle soon after; what
   * it returns after an abort is ignored. When the controller stops, `signal.reason` is a
   * {@link ControlPlaneStopping}: the run will be FAILED as interrupted anyway, so the runner may
   * stop the job with a short grace period instead of holding up the shutdown.
   */
  signal: AbortSignal;
  /** Receives the job's output, one line at a time, without the newline. */
  log(line: string): void;
}

/** How a job process ended on its own. */
export interface JobRunResult {
  /** The process's exit code: 0 is SUCCEEDED, anything else FAILED. */
  exitCode: number;
}

/**
 * Runs jobs. `run` resolves once the job process exited, or rejects with an Error whose message
 * says what failed for the user (the job could not be started: no artifact, no sandbox...).
 * It is called at most once per invocation: an invocation interrupted by a control-plane restart
 * is FAILED, not run again (ADR 0016).
 */
export interface JobRunner {
  run(request: JobRunRequest): Promise<JobRunResult>;
}

/** The abort reason of runs stopped because their controller stops (the server shuts down). */
export class ControlPlaneStopping extends Error {
  constructor() {
    super("the control plane is stopping");
    this.name = "ControlPlaneStopping";
  }
}
