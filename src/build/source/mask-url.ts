/**
 * Credentials in clone URLs (`https://user:token@host/...`) must never reach a log or an error.
 */

/**
 * Replaces the user-info part of every URL in `text` (`scheme://user:password@`,
 * `scheme://token@`) with `***@`. Works on whole messages, e.g. git's stderr, not only on a
 * bare URL. Pure.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1***@");
}
