/**
 * The error a failed build throws: which phase failed and how, with the last lines of its
 * (masked) log so that the message alone says what went wrong.
 */
import { SlipwayError } from "../../resources/index.js";

/** The phases of a build, in order (CNB's detect, restore, build, export; build split in two). */
export type BuildPhase = "detect" | "restore" | "install" | "build" | "export";

/** How a phase ended when it failed. */
export interface PhaseFailure {
  phase: BuildPhase;
  /** Exit code of the phase's command; null when it had none (no command, killed, I/O error). */
  exitCode: number | null;
  timedOut: boolean;
  oomKilled: boolean;
}

/**
 * A failed build. Code `failed_precondition` when the source or its commands are at fault (a
 * non-zero exit, a limit reached, undetectable source): retrying the same inputs fails the same
 * way. Code `internal` for I/O failures of the builder itself (`export`, `restore`).
 */
export class BuildError extends SlipwayError {
  readonly phase: BuildPhase;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly oomKilled: boolean;
  readonly logTail: readonly string[];

  constructor(failure: PhaseFailure, detail: string, logTail: readonly string[], cause?: unknown) {
    const internal = failure.phase === "export" || failure.phase === "restore";
    const tail = logTail.length === 0 ? "" : `\n--- last lines of the build log ---\n${logTail.join("\n")}`;
    super(
      internal ? "internal" : "failed_precondition",
      `build failed in phase ${failure.phase}: ${detail}${tail}`,
      {
        cause,
      },
    );
    this.name = "BuildError";
    this.phase = failure.phase;
    this.exitCode = failure.exitCode;
    this.timedOut = failure.timedOut;
    this.oomKilled = failure.oomKilled;
    this.logTail = logTail;
  }
}

/** Describes a sandbox outcome for a message: `exit code 3`, `timed out after 600 s`, `out of memory`. */
export function describeOutcome(
  outcome: { exitCode: number | null; timedOut: boolean; oomKilled: boolean },
  limits: { timeoutMs: number; memoryMiB: number },
): string {
  if (outcome.timedOut)
    return `timed out after ${Math.round(limits.timeoutMs / 1000)} s (the build's wall-time limit)`;
  if (outcome.oomKilled) return `killed for exceeding the memory limit of ${limits.memoryMiB} MiB`;
  return outcome.exitCode === null
    ? "the sandbox ended without an exit code"
    : `exit code ${outcome.exitCode}`;
}
