/**
 * The one real process runner of the stack builder: spawns a command without a shell and
 * collects its combined output. Injected into `buildStack` as its `run` function.
 */
import { spawn } from "node:child_process";

/** How a command ended: its exit code (or -1 when killed by a signal) and its combined output. */
export interface RunResult {
  code: number;
  output: string;
}

/** Options of one command run. */
export interface RunOptions {
  /** Environment of the command; default: the inherited environment. */
  env?: Readonly<Record<string, string>>;
}

/** Runs `command args…` to completion. Resolves with the exit code; rejects only if it cannot start. */
export type RunCommand = (
  command: string,
  args: readonly string[],
  options?: RunOptions,
) => Promise<RunResult>;

/** The most output kept per command, in characters; enough for an error's tail. */
const KEEP_CHARS = 64 * 1024;

/**
 * Creates a RunCommand that spawns real processes. Output beyond the last 64 KiB is dropped,
 * so a long apt run does not grow without bound; `onOutput`, when given, sees every chunk.
 */
export function createProcessRunner(onOutput?: (chunk: string) => void): RunCommand {
  return (command, args, options = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, [...args], {
        stdio: ["ignore", "pipe", "pipe"],
        ...(options.env === undefined ? {} : { env: { ...options.env } }),
      });
      let output = "";
      const collect = (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        onOutput?.(text);
        output = (output + text).slice(-KEEP_CHARS);
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? -1, output }));
    });
}
