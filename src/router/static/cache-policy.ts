/**
 * Which files are fingerprinted (their name carries a content hash, so they never change) and the
 * Cache-Control each kind of file gets.
 */

/** Cache-Control for fingerprinted assets: a new build gives a changed file a new name. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** Cache-Control for HTML: always revalidated (cheap with the ETag), so a deploy shows at once. */
export const REVALIDATE = "no-cache";
/** Cache-Control for other files (`/logo.png`): a deploy that changes them shows within a minute. */
export const SHORT = "public, max-age=60";

// Vite/Rollup `[name]-[hash].[ext]`: 8 base64url characters after a `-` (or `.`).
const BASE64URL_HASH = /[-.]([A-Za-z0-9_-]{8})\.[A-Za-z0-9]+$/;
// webpack/Parcel `[name].[contenthash].[ext]` (also `.chunk.js`): 8 to 64 hex characters.
const HEX_HASH = /[-.]([0-9a-f]{8,64})(?:\.[A-Za-z0-9]+)+$/;

/**
 * Whether a file name (no directory) carries a content hash. Vite's 8-character token must hold
 * a digit and a letter, or an upper-case letter after its first character and a lower-case one,
 * so words (`big-elephant.js`) and dates (`report-20240101.pdf`) are not taken for hashes; a hex
 * token must hold a digit and a letter too. A real hash that fails these (rare) only loses the
 * year-long caching: the mistake is always on the safe side.
 */
export function isFingerprinted(fileName: string): boolean {
  const hex = HEX_HASH.exec(fileName)?.[1];
  if (hex !== undefined && /[0-9]/.test(hex) && /[a-f]/.test(hex)) return true;
  const token = BASE64URL_HASH.exec(fileName)?.[1];
  if (token === undefined) return false;
  const letter = /[A-Za-z]/.test(token);
  return (/[0-9]/.test(token) && letter) || (/[A-Z]/.test(token.slice(1)) && /[a-z]/.test(token));
}

/** The Cache-Control for a file served with `contentType`: HTML revalidates, hashed assets are immutable. */
export function cacheControlFor(fileName: string, contentType: string): string {
  if (contentType.startsWith("text/html")) return REVALIDATE;
  return isFingerprinted(fileName) ? IMMUTABLE : SHORT;
}
