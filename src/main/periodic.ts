/**
 * A background task on a timer, as the server's collections run: every `intervalMs` unless the
 * previous run is still going; the timer does not keep the process alive.
 */

/** Options of {@link startPeriodic}. */
export interface PeriodicOptions<T> {
  /** Time between runs; default 10 minutes. */
  intervalMs?: number;
  onResult?: (r: T) => void;
  onError?: (e: unknown) => void;
}

/** Runs `task` every `intervalMs`, skipping a tick while a run is still going. Returns a stop function. */
export function startPeriodic<T>(task: () => Promise<T>, options: PeriodicOptions<T>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .then(
        (r) => options.onResult?.(r),
        (e: unknown) => options.onError?.(e),
      )
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? 600_000);
  timer.unref();
  return () => clearInterval(timer);
}
