/**
 * Stopping an instance the same way whatever runs it (a gVisor sandbox, attached or detached, or
 * a fallback process): ask every process inside to end, give the app `graceMs` to drain, then
 * end it by force.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { InstanceExit } from "./instance.js";
import { runBounded } from "./runsc-command.js";
import type { SandboxHandle } from "./sandbox.js";

/** How an instance is asked to end, and ended. */
export interface StopSteps {
  /** Asks every process inside to end (SIGTERM). */
  term(): Promise<void>;
  /** Ends it by force once the grace has passed. */
  force(): Promise<void>;
}

/**
 * An instance handle's `stop`: `term`, up to `graceMs` (default 10 s) for `exit` to settle, then
 * `force`; resolves with the exit. Once the instance has ended it only returns the exit.
 */
export function gracefulStop(
  exit: Promise<InstanceExit>,
  steps: StopSteps,
): (graceMs?: number) => Promise<InstanceExit> {
  let ended = false;
  const mark = () => {
    ended = true;
  };
  exit.then(mark, mark);
  return async (graceMs = 10_000) => {
    if (!ended) {
      await steps.term();
      const timer = new AbortController();
      const late = delay(graceMs, false, { signal: timer.signal }).catch(() => true);
      const graceful = await Promise.race([exit.then(() => true), late]);
      timer.abort();
      if (!graceful) await steps.force();
    }
    return exit;
  };
}

/** The steps for a gVisor sandbox: SIGTERM to every process in it, then delete it. */
export function sandboxStopSteps(o: {
  runscPath: string;
  stateRoot: string;
  sandbox: Pick<SandboxHandle, "id" | "kill" | "delete">;
}): StopSteps {
  return {
    term: async () => {
      // --all: the run command is `sh -c`, which does not pass SIGTERM on to the app.
      const args = ["--root", o.stateRoot, "kill", "--all", o.sandbox.id, "SIGTERM"];
      const sent = await runBounded(o.runscPath, args, 5000);
      if (sent.code !== 0) await o.sandbox.kill("SIGTERM").catch(() => undefined);
    },
    force: async () => {
      await o.sandbox.delete();
    },
  };
}
