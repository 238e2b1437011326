/**
 * `cors.allow_origins[].regex` for HAProxy (ADR 0022): DigitalOcean's RE2 pattern, anchored as
 * Envoy's `safe_regex` is (the whole Origin must match), written as one single-quoted config
 * word for HAProxy's PCRE2 `-m reg`.
 */
import { originRegexRefusal } from "../spec/index.js";

/** Longest Origin a regex is tried on: scheme, a 253-byte host and a port fit in 300. */
export const MAX_REGEX_ORIGIN = 300;

/**
 * The HAProxy pattern word for an RE2 origin regex: `'^(?:RE)$'`, or undefined when the pattern
 * is outside the subset the spec validation accepts (`originRegexRefusal`): such a rule is left
 * out rather than put in a config HAProxy might refuse or match slowly. Inside single quotes
 * HAProxy takes every character literally, and the subset has no `'`.
 */
export function haproxyOriginRegex(regex: string): string | undefined {
  if (originRegexRefusal(regex) !== undefined) return undefined;
  return `'^(?:${regex})$'`;
}
