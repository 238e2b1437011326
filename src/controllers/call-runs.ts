/**
 * Calls that run outside the reconcile that started them (a build or a job takes minutes; a
 * worker must stay free to see a cancel), by object key. A call's outcome waits here until the
 * next reconcile of the key writes it to status. Shared by the Build and JobInvocation
 * controllers, which say how to call and what an outcome is.
 */

/** One call. */
export interface CallRun<O> {
  /** The uid of the object it works for (one deleted and created again is another object). */
  readonly uid: string;
  /** Set once the call settled. */
  outcome?: O;
}

interface Entry<O> extends CallRun<O> {
  readonly abort: AbortController;
  done: Promise<void>;
}

/** Calls by key; each key has at most one call that is not aborted. */
export class CallRuns<O> {
  readonly #runs = new Map<string, Entry<O>>();
  readonly #settling = new Set<Promise<void>>();

  /** The call of `key`, if one was started and not forgotten. */
  get(key: string): CallRun<O> | undefined {
    return this.#runs.get(key);
  }

  /**
   * Starts `call` under `key` for the object `uid`. `call` must not reject: it turns every ending
   * into an outcome. `onSettled` runs once the outcome is recorded (controllers enqueue the key).
   */
  startCall(
    key: string,
    uid: string,
    call: (signal: AbortSignal) => Promise<O>,
    onSettled: () => void,
  ): void {
    const abort = new AbortController();
    const entry: Entry<O> = { uid, abort, done: Promise.resolve() };
    const done = call(abort.signal).then((outcome) => {
      entry.outcome = outcome;
      this.#settling.delete(done);
      onSettled();
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

  /** Aborts every call (with `reason`, if given) and resolves once all have settled. */
  async stopAll(reason?: unknown): Promise<void> {
    for (const entry of this.#runs.values()) entry.abort.abort(reason);
    await Promise.all([...this.#settling]);
  }
}
