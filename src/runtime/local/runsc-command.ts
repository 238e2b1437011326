/**
 * Runs one short `runsc` management command (kill, delete, state) with a time bound, because
 * Debian's 2022 runsc can hang in `delete` waiting for its gofer.
 */
import { execFile } from "node:child_process";

/** What a bounded command did. */
export interface CommandOutcome {
  /** Exit code; null when it was killed (see `timedOut`) or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `file args…` and resolves (never rejects) with its outcome; after `timeoutMs` the process
 * is killed with SIGKILL and `timedOut` is true.
 */
export function runBounded(
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr, timedOut: false });
        const timedOut = error.killed === true && error.signal === "SIGKILL";
        const code = typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr: stderr || error.message, timedOut });
      },
    );
  });
}
