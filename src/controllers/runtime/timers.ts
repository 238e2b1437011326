/**
 * The clock and timers the controller runtime uses, injected so tests can drive time by hand.
 */

/** A cancellable timer source and a monotonic clock in milliseconds. */
export interface Timers {
  /** Milliseconds on a clock that never goes backwards. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** The real timers: `performance.now()` and `setTimeout`. Timers do not keep the process alive. */
export function systemTimers(): Timers {
  return {
    now: () => performance.now(),
    schedule(fn, ms) {
      const handle = setTimeout(fn, Math.max(0, ms));
      handle.unref();
      return () => clearTimeout(handle);
    },
  };
}
