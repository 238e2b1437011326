/**
 * Runs a host tool (`ip`, `nft`) for the app network, failing with the command line and its
 * stderr so that the message says what failed and where.
 */
import { spawn } from "node:child_process";

/** Runs `file args…` with optional stdin; resolves with stdout, rejects with the command and stderr. */
export type HostCommand = (file: string, args: readonly string[], stdin?: string) => Promise<string>;

/** The real {@link HostCommand}: a child process per call, bounded to `timeoutMs` (default 10 s). */
export function createHostCommand(timeoutMs = 10_000): HostCommand {
  return (file, args, stdin) =>
    new Promise((resolve, reject) => {
      const stdio = [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] as const;
      const child = spawn(file, args, { stdio: [...stdio], timeout: timeoutMs });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      child.on("error", (err) => reject(new Error(`${file} ${args.join(" ")}: ${err.message}`)));
      child.on("close", (code, signal) => {
        if (code === 0) return resolve(stdout);
        const why = signal === null ? `exit code ${code}` : `killed by ${signal}`;
        reject(new Error(`${file} ${args.join(" ")} failed (${why}): ${stderr.trim()}`));
      });
      // A tool that exits before reading its input fails on its own; EPIPE here adds nothing.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(stdin);
    });
}
