/**
 * Turns a failed network call into a sentence that says what to check.
 */

/** "cannot reach Slipway at URL: connection refused; is `slipway server` running there?" */
export function describeFetchError(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const why =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND"
        ? "unknown host"
        : code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT"
          ? "timed out"
          : (cause?.message ?? (err instanceof Error ? err.message : String(err)));
  return `cannot reach Slipway at ${url}: ${why}; is \`slipway server\` running there?`;
}
