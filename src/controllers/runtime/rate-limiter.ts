/**
 * Per-key exponential backoff, as client-go's `ItemExponentialFailureRateLimiter`: the n-th
 * consecutive failure of a key waits `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`.
 */

/** Decides how long a key waits before its next retry. */
export interface RateLimiter {
  /** The delay before the next retry of `key`; counts one more failure of it. */
  when(key: string): number;
  /** Clears the failure count of `key` (after a success). */
  forget(key: string): void;
  /** How many failures of `key` have been counted since it was last forgotten. */
  retries(key: string): number;
}

/** Options of `exponentialBackoff`. */
export interface ExponentialBackoffOptions {
  /** Delay of the first retry; default 5 ms. */
  baseDelayMs?: number;
  /** Longest delay; default 30 000 ms. */
  maxDelayMs?: number;
}

class ExponentialBackoff implements RateLimiter {
  readonly #base: number;
  readonly #max: number;
  readonly #failures = new Map<string, number>();

  constructor(base: number, max: number) {
    this.#base = base;
    this.#max = max;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // Past 2^52 the exponent only overflows; the cap is reached long before.
    return Math.min(this.#max, this.#base * 2 ** Math.min(failures, 52));
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A per-key exponential backoff limiter. Throws a `RangeError` when a delay is negative or not
 * finite, or when `maxDelayMs < baseDelayMs`.
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): RateLimiter {
  const base = options.baseDelayMs ?? 5;
  const max = options.maxDelayMs ?? 30_000;
  if (!Number.isFinite(base) || base < 0) throw new RangeError(`baseDelayMs: must be >= 0, got ${base}`);
  if (!Number.isFinite(max) || max < base) {
    throw new RangeError(`maxDelayMs: must be >= baseDelayMs (${base}), got ${max}`);
  }
  return new ExponentialBackoff(base, max);
}
