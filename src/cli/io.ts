/**
 * What a CLI command may touch: its streams and files. Injected so that commands run in-process
 * in tests exactly as they do from a terminal.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of standard input. */
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<Uint8Array>;
}

/** A usage error: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
