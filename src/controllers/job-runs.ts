/**
 * The runner calls in flight in one JobInvocation controller, by invocation key. A call runs
 * outside the reconcile that started it (a job takes minutes; a worker must stay free to see a
 * cancel or a timeout), and its outcome waits here until the next reconcile of the key writes it.
 */
import type { JobInvocation } from "../resources/job-invocation.js";
import type { JobRunner } from "./job-runner.js";

/** How a runner call ended. */
export type JobRunOutcome =
  | { kind: "exited"; exitCode: number }
  | { kind: "failed"; message: string }
  /** Aborted (timeout, cancel, stop): the reconcile that aborted it records why. */
  | { kind: "aborted" };

/** One runner call. */
export interface JobRun {
  /** The uid of the invocation it runs. */
  readonly uid: string;
  /** Set once the call settled. */
  outcome?: JobRunOutcome;
}

interface Entry extends JobRun {
  readonly abort: AbortController;
  done: Promise<void>;
}

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
export class JobRuns {
  readonly #runs = new Map<string, Entry>();
  readonly #settling = new Set<Promise<void>>();

  /** The call of `key`, if one was started and not forgotten. */
  get(key: string): JobRun | undefined {
    return this.#runs.get(key);
  }

  /** Starts `runner.run` for `invocation` under `key`; `onSettled` runs once its outcome is recorded. */
  start(
    key: string,
    invocation: JobInvocation,
    runner: JobRunner,
    hooks: { log(line: string): void; onSettled(): void },
  ): void {
    const abort = new AbortController();
    const entry: Entry = { uid: invocation.metadata.uid, abort, done: Promise.resolve() };
    const done = callRunner(runner, invocation, abort.signal, hooks.log).then((outcome) => {
      entry.outcome = outcome;
      this.#settling.delete(done);
      hooks.onSettled();
    });
    entry.done = done;
    this.#settling.add(done);
    this.#runs.set(key, entry);
  }

  /** Forgets the call of `key`, aborting it if it still runs; resolves once it settled. */
  cancel(key: string): Promise<void> {
    const entry = this.#runs.get(key);
    if (entry === undefined) return Promise.resolve();
    this.#runs.delete(key);
    entry.abort.abort();
    return entry.done;
  }

  /** Aborts every call and resolves once all have settled. */
  async stopAll(): Promise<void> {
    for (const entry of this.#runs.values()) entry.abort.abort();
    await Promise.all([...this.#settling]);
  }
}
