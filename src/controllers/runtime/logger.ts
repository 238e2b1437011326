/**
 * The narrow logger the controller runtime writes to; the composition root supplies a real one.
 */

/** Structured fields of one log line. */
export type LogFields = Record<string, unknown>;

/** Where the controller runtime reports what it does. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that writes JSON lines to stderr (errors only unless `verbose`). */
export function stderrLogger(options: { verbose?: boolean } = {}): Logger {
  const write = (level: string, message: string, fields: LogFields = {}) => {
    process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  };
  return {
    info: (message, fields) => {
      if (options.verbose === true) write("info", message, fields);
    },
    error: (message, fields) => write("error", message, fields),
  };
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return { info: () => {}, error: () => {} };
}
