/**
 * Gives memory back after a burst. V8 grows its heap while the control plane works through a
 * burst (1,000 apps created, say) and returns the pages only when its memory reducer runs, which
 * it starts after a full collection; a process that then goes quiet may never collect again and
 * keeps the burst's footprint. A check every `intervalMs` runs one full collection when the heap
 * holds much more than it uses; the reducer then shrinks the heap within about half a minute.
 * Measured in bench/control-plane (idle RSS with 1,000 apps).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Options of `startIdleCompaction`; the defaults suit the server. */
export interface IdleCompactionOptions {
  /** How often to look (default 15 s). */
  intervalMs?: number;
  /** Collect when allocated-but-unused heap exceeds this many MiB (default 24). */
  minSlackMiB?: number;
  /** The collector; default V8's, exposed at run time. */
  gc?: () => void;
  /** Heap figures; default `process.memoryUsage`. */
  memoryUsage?: () => { heapTotal: number; heapUsed: number };
}

/** The V8 collector, or undefined where it cannot be exposed. */
export function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one time: collects when the slack is large. Returns whether it collected. */
export function compactIfSlack(
  options: Required<Pick<IdleCompactionOptions, "gc" | "memoryUsage" | "minSlackMiB">>,
): boolean {
  const { heapTotal, heapUsed } = options.memoryUsage();
  if (heapTotal - heapUsed < options.minSlackMiB * 1024 * 1024) return false;
  options.gc();
  return true;
}

/** Starts the periodic check; returns a function that stops it. A no-op when no collector is available. */
export function startIdleCompaction(options: IdleCompactionOptions = {}): () => void {
  const gc = options.gc ?? exposeGc();
  if (gc === undefined) return () => {};
  const check = {
    gc,
    memoryUsage: options.memoryUsage ?? (() => process.memoryUsage()),
    minSlackMiB: options.minSlackMiB ?? 24,
  };
  const timer = setInterval(() => compactIfSlack(check), options.intervalMs ?? 15_000);
  timer.unref();
  return () => clearInterval(timer);
}
