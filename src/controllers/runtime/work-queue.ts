/**
 * A rate-limited work queue shaped like client-go's `workqueue`: keys wait at most once (adding a
 * waiting key again does nothing), a key is never handed out while it is being processed (adding
 * it meanwhile re-queues it when `done` is called), delayed adds keep the earliest time asked
 * for, and `addRateLimited` backs off per key until `forget`.
 */
import { exponentialBackoff, type RateLimiter } from "./rate-limiter.js";
import { systemTimers, type Timers } from "./timers.js";

/** Options of `createWorkQueue`. */
export interface WorkQueueOptions {
  /** The backoff of `addRateLimited`; default `exponentialBackoff()` (5 ms doubling to 30 s). */
  rateLimiter?: RateLimiter;
  /** The clock and timers of delayed adds; default `systemTimers()`. */
  timers?: Timers;
}

/** A de-duplicating, rate-limited queue of string keys. */
export interface WorkQueue {
  /** Queues `key` unless it is already waiting; ignored after `shutDown`. */
  add(key: string): void;
  /** Queues `key` after `ms` milliseconds; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, ms: number): void;
  /** Queues `key` after its backoff delay, and counts one more failure of it. */
  addRateLimited(key: string): void;
  /** Resets the backoff of `key` (after a success). Does not remove it from the queue. */
  forget(key: string): void;
  /** How many times `key` was rate-limited since it was last forgotten. */
  retries(key: string): number;
  /**
   * The next key to process, waiting for one if the queue is empty; `undefined` once the queue
   * is shut down and holds no more keys. The caller must call `done(key)` when finished.
   */
  get(): Promise<string | undefined>;
  /** Marks `key` processed; if it was added meanwhile it waits again. */
  done(key: string): void;
  /** How many keys wait (not counting delayed or processing ones). */
  length(): number;
  /** True when nothing waits, nothing is delayed and nothing is being processed. */
  idle(): boolean;
  /**
   * Stops accepting keys and cancels delayed adds. Keys already waiting are still handed out by
   * `get`; resolves once none waits and none is being processed.
   */
  shutDown(): Promise<void>;
  /** True after `shutDown` was called. */
  shuttingDown(): boolean;
}

class RateLimitedWorkQueue implements WorkQueue {
  readonly #limiter: RateLimiter;
  readonly #timers: Timers;
  /** Keys waiting, in order. Each is also in #dirty. */
  readonly #queue: string[] = [];
  /** Keys that need processing: waiting, or added while being processed. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; cancel: () => void }>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  readonly #drainWaiters: (() => void)[] = [];
  #shuttingDown = false;

  constructor(limiter: RateLimiter, timers: Timers) {
    this.#limiter = limiter;
    this.#timers = timers;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const getter = this.#getters.shift();
    if (getter === undefined) this.#queue.push(key);
    else {
      this.#dirty.delete(key);
      this.#processing.add(key);
      getter(key);
    }
  }

  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = this.#timers.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending !== undefined && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#timers.schedule(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, cancel });
  }

  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  retries(key: string): number {
    return this.#limiter.retries(key);
  }

  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    if (this.#dirty.has(key)) {
      // Added while it was processed: it waits again now (add() skipped the queue for it).
      this.#dirty.delete(key);
      this.add(key);
    }
    this.#checkDrained();
  }

  length(): number {
    return this.#queue.length;
  }

  idle(): boolean {
    return this.#queue.length === 0 && this.#processing.size === 0 && this.#delayed.size === 0;
  }

  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { cancel } of this.#delayed.values()) cancel();
    this.#delayed.clear();
    for (const key of this.#dirty) if (this.#processing.has(key)) this.#dirty.delete(key);
    for (const getter of this.#getters.splice(0)) getter(undefined);
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    this.#checkDrained();
    return drained;
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #checkDrained(): void {
    if (!this.#shuttingDown || this.#queue.length > 0 || this.#processing.size > 0) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}

/** A new work queue. */
export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  return new RateLimitedWorkQueue(
    options.rateLimiter ?? exponentialBackoff(),
    options.timers ?? systemTimers(),
  );
}
