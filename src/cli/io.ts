/**
 * What a CLI command may touch: its streams, files, environment and network. Injected so that
 * commands run in-process in tests exactly as they do from a terminal.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of standard input. */
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a file atomically enough for a config (create or replace) with the given mode. */
  writeFile(path: string, data: string, mode: number): Promise<void>;
  /** The environment (SLIPWAY_URL, SLIPWAY_TOKEN, SLIPWAY_CONFIG, XDG_CONFIG_HOME, HOME). */
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
}

/** A usage error: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
