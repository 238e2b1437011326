/**
 * The builder calls in flight in one Build controller, by Build key. A call runs outside the
 * reconcile that started it (a build takes minutes; a worker must stay free to see a cancel),
 * and its outcome waits here until the next reconcile of the key writes it to status.
 */
import type { Build } from "../resources/build.js";
import type { Builder, BuildResult } from "./builder.js";

/** How a builder call ended. */
export type RunOutcome =
  | { kind: "succeeded"; result: BuildResult }
  | { kind: "failed"; message: string }
  /** Canceled or stopped: nothing to record. */
  | { kind: "aborted" };

/** One builder call. */
export interface Run {
  /** The uid of the Build it builds (a Build deleted and created again is another Build). */
  readonly uid: string;
  /** Set once the call settled. */
  outcome?: RunOutcome;
}

interface Entry extends Run {
  readonly abort: AbortController;
  done: Promise<void>;
}

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
export class BuildRuns {
  readonly #runs = new Map<string, Entry>();
  readonly #settling = new Set<Promise<void>>();

  /** The call of `key`, if one was started and not forgotten. */
  get(key: string): Run | undefined {
    return this.#runs.get(key);
  }

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
    const abort = new AbortController();
    const entry: Entry = { uid: build.metadata.uid, abort, done: Promise.resolve() };
    const done = callBuilder(builder, build, abort.signal, hooks.log).then((outcome) => {
      entry.outcome = outcome;
      this.#settling.delete(done);
      hooks.onSettled();
    });
    entry.done = done;
    this.#settling.add(done);
    this.#runs.set(key, entry);
  }

  /** Forgets the call of `key`, aborting it if it is still running; resolves once it settled. */
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
