/**
 * Waiting for a condition in tests instead of sleeping for a fixed time.
 */
import { setTimeout as delay } from "node:timers/promises";

/**
 * Resolves once `predicate` returns true (it may be async), polling every few milliseconds;
 * rejects after `timeoutMs` (default 5000) with `message` and the time waited.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  message = "condition",
): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await predicate()) return;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await delay(2);
  }
}
