/**
 * The one error type of Slipway. Every failure that crosses a module boundary is a `SlipwayError`
 * with a code from a closed set; the HTTP layer maps codes to statuses in one place.
 */

/** The closed set of error codes. */
export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "conflict"
  | "gone"
  | "failed_precondition"
  | "too_large"
  | "unauthenticated"
  | "permission_denied"
  | "unavailable"
  | "internal";

/** One detail of an error: a path into the input (e.g. a spec path) and what is wrong there. */
export interface ErrorDetail {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** An error with a code, a user-facing message, optional details and an optional cause. */
export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SlipwayError";
    this.code = code;
    this.details = options.details ?? [];
  }

  /** Wraps anything thrown into a SlipwayError; a SlipwayError is returned as it is, anything else is `internal`. */
  static from(err: unknown): SlipwayError {
    if (err instanceof SlipwayError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new SlipwayError("internal", message, { cause: err });
  }
}

/** True when `err` is a SlipwayError with the given code. */
export function isErrorCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof SlipwayError && err.code === code;
}
