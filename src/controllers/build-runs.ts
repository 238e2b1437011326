/**
 * The builder calls in flight in one Build controller, by Build key. A call runs outside the
 * reconcile that started it (a build takes minutes; a worker must stay free to see a cancel),
 * and its outcome waits here until the next reconcile of the key writes it to status.
 */
import type { Build } from "../resources/build.js";
import type { Builder, BuildResult } from "./builder.js";
import { type CallRun, CallRuns } from "./call-runs.js";

/** How a builder call ended. */
export type RunOutcome =
  | { kind: "succeeded"; result: BuildResult }
  | { kind: "failed"; message: string }
  /** Canceled or stopped: nothing to record. */
  | { kind: "aborted" };

/** One builder call. */
export type Run = CallRun<RunOutcome>;

async function callBuilder(
  builder: Builder,
  build: Build,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<RunOutcome> {
  try {
    const result = await builder.build({ build, signal, log });
    return signal.aborted ? { kind: "aborted" } : { kind: "succeeded", result };
  } catch (err) {
    if (signal.aborted) return { kind: "aborted" };
    return { kind: "failed", message: err instanceof Error ? err.message : String(err) };
  }
}

/** Builder calls by key; each key has at most one call that is not aborted. */
export class BuildRuns extends CallRuns<RunOutcome> {
  /**
   * Starts `builder.build` for `build` under `key`. `onSettled` runs once the call settled and
   * its outcome is recorded (the controller enqueues the key there).
   */
  start(
    key: string,
    build: Build,
    builder: Builder,
    hooks: { log(line: string): void; onSettled(): void },
  ): void {
    this.startCall(
      key,
      build.metadata.uid,
      (signal) => callBuilder(builder, build, signal, hooks.log),
      hooks.onSettled,
    );
  }
}
