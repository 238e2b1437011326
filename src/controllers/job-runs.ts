/**
 * The runner calls in flight in one JobInvocation controller, by invocation key. A call runs
 * outside the reconcile that started it (a job takes minutes; a worker must stay free to see a
 * cancel or a timeout), and its outcome waits here until the next reconcile of the key writes it.
 */
import type { JobInvocation } from "../resources/job-invocation.js";
import { type CallRun, CallRuns } from "./call-runs.js";
import type { JobRunner } from "./job-runner.js";

/** How a runner call ended. */
export type JobRunOutcome =
  | { kind: "exited"; exitCode: number }
  | { kind: "failed"; message: string }
  /** Aborted (timeout, cancel, stop): the reconcile that aborted it records why. */
  | { kind: "aborted" };

/** One runner call. */
export type JobRun = CallRun<JobRunOutcome>;

async function callRunner(
  runner: JobRunner,
  invocation: JobInvocation,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<JobRunOutcome> {
  try {
    const { exitCode } = await runner.run({ invocation, signal, log });
    return signal.aborted ? { kind: "aborted" } : { kind: "exited", exitCode };
  } catch (err) {
    if (signal.aborted) return { kind: "aborted" };
    return { kind: "failed", message: err instanceof Error ? err.message : String(err) };
  }
}

/** Runner calls by key; each key has at most one call that is not aborted. */
export class JobRuns extends CallRuns<JobRunOutcome> {
  /** Starts `runner.run` for `invocation` under `key`; `onSettled` runs once its outcome is recorded. */
  start(
    key: string,
    invocation: JobInvocation,
    runner: JobRunner,
    hooks: { log(line: string): void; onSettled(): void },
  ): void {
    this.startCall(
      key,
      invocation.metadata.uid,
      (signal) => callRunner(runner, invocation, signal, hooks.log),
      hooks.onSettled,
    );
  }
}
