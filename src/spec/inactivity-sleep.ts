/**
 * The range of `inactivity_sleep.after_seconds` (ADR 0023). DigitalOcean accepts 600–86400; the
 * schema only bounds it to 1–86400 so that a server started with a lower least (tests only,
 * `slipway server --min-inactivity-seconds`) can accept short idle times, and this rule applies
 * the least in force, 600 unless told otherwise.
 */
import { asMap, type Entry } from "./access.js";
import type { RawIssue } from "./schema-errors.js";

/** DigitalOcean's least idle time before a service sleeps. */
export const MIN_INACTIVITY_SECONDS = 600;
/** DigitalOcean's greatest. */
export const MAX_INACTIVITY_SECONDS = 86_400;

/** Checks one component's `inactivity_sleep.after_seconds` against `min` (default 600). */
export function checkInactivitySleep(e: Entry, min = MIN_INACTIVITY_SECONDS): RawIssue[] {
  const after = asMap(e.value.inactivity_sleep)?.after_seconds;
  if (typeof after !== "number" || !Number.isInteger(after)) return [];
  if (after >= min && after <= MAX_INACTIVITY_SECONDS) return [];
  return [
    {
      path: [...e.path, "inactivity_sleep", "after_seconds"],
      message: `must be between ${min} and ${MAX_INACTIVITY_SECONDS}, got ${after}`,
      at: "value",
    },
  ];
}
