/**
 * Keeps one instance running (ADR 0012): when it exits, or its liveness check fails
 * `failure_threshold` times in a row, it is started again after an exponential backoff (1 s
 * doubling to 5 min; back to 1 s once an instance has run 10 min), and a RUN_RESTARTED event says
 * why. The starter, clock and probe are injected, so the state machine is tested without waiting.
 */
import { setTimeout as delay } from "node:timers/promises";
import { type HealthCheckSettings, type Probe, startHealthCheck } from "./health-check.js";
import type { InstanceExit } from "./instance.js";

/** What the supervisor needs of a running instance (an InstanceHandle is one). */
export interface SupervisedInstance {
  id: string;
  ip: string;
  wait(): Promise<InstanceExit>;
  stop(options?: { graceMs?: number }): Promise<InstanceExit>;
  /** Lets go of the instance without stopping it (ADR 0026); `wait()` may then never settle. */
  release?(): Promise<void>;
}

/** Restart delays. */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  /** An instance that ran at least this long resets the delay to `initialMs`. */
  resetAfterMs: number;
}

/** 1 s doubling to 5 min, reset after 10 min of uptime (Kubernetes' CrashLoopBackOff, faster start). */
export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 1000, maxMs: 300_000, resetAfterMs: 600_000 };

/** Time as the supervisor sees it. */
export interface SupervisorClock {
  now(): number;
  /** Resolves after `ms`, rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** What the supervisor reports. */
export type SupervisorEvent =
  | { type: "RUN_STARTED"; instance: string; attempt: number; at: string }
  | { type: "RUN_START_FAILED"; attempt: number; error: string; at: string; delayMs: number }
  | {
      type: "RUN_RESTARTED";
      /** The instance that ended. */
      instance: string;
      reason: "exited" | "liveness";
      exitCode: number | null;
      signal?: NodeJS.Signals;
      oomKilled: boolean;
      at: string;
      /** Restarts so far, this one included. */
      restartCount: number;
      /** How long the supervisor waits before starting the next instance. */
      delayMs: number;
    };

/** Options of {@link superviseInstance}. */
export interface SupervisorOptions {
  /** Starts attempt number `attempt` (0, 1, …); each needs its own sandbox id. */
  start(attempt: number): Promise<SupervisedInstance>;
  onEvent?: (event: SupervisorEvent) => void;
  backoff?: Partial<BackoffSettings>;
  clock?: SupervisorClock;
  /** A liveness check on the instance's address; failing it stops the instance and restarts it. */
  liveness?: { settings: HealthCheckSettings; probe?: Probe };
  /** Grace of the stop after a failed liveness check; default 10 s. */
  stopGraceMs?: number;
}

/** A supervised instance. */
export interface Supervisor {
  /** The instance running now, if any. */
  current(): SupervisedInstance | undefined;
  restartCount(): number;
  /** Stops supervising and stops the instance (SIGTERM, SIGKILL after `graceMs`). */
  stop(options?: { graceMs?: number }): Promise<void>;
  /**
   * Stops supervising and leaves the instance running (released: the control plane exits and the
   * next one adopts it); starts under way are still awaited and released too.
   */
  release(): Promise<void>;
}

/** The delay before restart number `consecutive` (1-based) in a row. Pure. */
export function restartDelay(consecutive: number, backoff: BackoffSettings = DEFAULT_BACKOFF): number {
  const doublings = Math.max(0, consecutive - 1);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(doublings, 40));
}

const realClock: SupervisorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

/** Starts the first instance and keeps one running until `stop()`. */
export function superviseInstance(options: SupervisorOptions): Supervisor {
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const clock = options.clock ?? realClock;
  const abort = new AbortController();
  const emit = (e: SupervisorEvent) => options.onEvent?.(e);
  const iso = () => new Date(clock.now()).toISOString();
  const pause = (ms: number) => clock.sleep(ms, abort.signal).catch(() => undefined);
  let current: SupervisedInstance | undefined;
  let restarts = 0;

  const runOnce = async (instance: SupervisedInstance): Promise<InstanceExit & { liveness: boolean }> => {
    let liveness = false;
    const check =
      options.liveness === undefined
        ? undefined
        : startHealthCheck({
            settings: options.liveness.settings,
            host: instance.ip,
            ...(options.liveness.probe === undefined ? {} : { probe: options.liveness.probe }),
            sleep: clock.sleep,
            onProbe: (status) => {
              if (liveness || status.consecutiveFailures < (options.liveness?.settings.failureThreshold ?? 1))
                return;
              liveness = true;
              void instance.stop({ graceMs: options.stopGraceMs ?? 10_000 }).catch(() => undefined);
            },
          });
    try {
      // A released instance's wait() may never settle: the abort ends the watch instead.
      const aborted = new Promise<never>((_, reject) =>
        abort.signal.addEventListener("abort", () => reject(new Error("supervision ended")), { once: true }),
      );
      aborted.catch(() => undefined);
      return { ...(await Promise.race([instance.wait(), aborted])), liveness };
    } finally {
      await check?.stop();
    }
  };

  const loop = (async () => {
    let consecutive = 0;
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      let instance: SupervisedInstance;
      try {
        instance = await options.start(attempt);
      } catch (err) {
        consecutive++;
        const delayMs = restartDelay(consecutive, backoff);
        const error = err instanceof Error ? err.message : String(err);
        emit({ type: "RUN_START_FAILED", attempt, error, at: iso(), delayMs });
        await pause(delayMs);
        continue;
      }
      current = instance;
      if (abort.signal.aborted) break;
      const startedAt = clock.now();
      emit({ type: "RUN_STARTED", instance: instance.id, attempt, at: iso() });
      // wait() rejects only when the sandbox cannot be deleted; restart into a fresh id anyway.
      const exit = await runOnce(instance).catch((): InstanceExit & { liveness: boolean } => ({
        exitCode: null,
        oomKilled: false,
        durationMs: 0,
        liveness: false,
      }));
      current = undefined;
      if (abort.signal.aborted) break;
      if (clock.now() - startedAt >= backoff.resetAfterMs) consecutive = 0;
      consecutive++;
      restarts++;
      const delayMs = restartDelay(consecutive, backoff);
      const event: SupervisorEvent = {
        type: "RUN_RESTARTED",
        instance: instance.id,
        reason: exit.liveness ? "liveness" : "exited",
        exitCode: exit.exitCode,
        oomKilled: exit.oomKilled,
        at: iso(),
        restartCount: restarts,
        delayMs,
      };
      if (exit.signal !== undefined) event.signal = exit.signal;
      emit(event);
      await pause(delayMs);
    }
  })();

  return {
    current: () => current,
    restartCount: () => restarts,
    stop: async (o = {}) => {
      abort.abort();
      const running = current;
      if (running !== undefined) await running.stop(o.graceMs === undefined ? {} : { graceMs: o.graceMs });
      await loop;
      // An instance whose start was still under way when stop() was called.
      const late = current;
      if (late !== undefined && late !== running) await late.stop({ graceMs: 0 });
      current = undefined;
    },
    release: async () => {
      abort.abort();
      await current?.release?.();
      await loop;
      // An instance whose start was still under way when release() was called.
      await current?.release?.();
      current = undefined;
    },
  };
}
