/**
 * Checks the schedule of a SCHEDULED job: a five-field cron expression and an IANA time zone.
 */
import { CronExpressionParser } from "cron-parser";
import { asMap, asString } from "./access.js";
import type { PathSegment } from "./issues.js";
import type { RawIssue } from "./schema-errors.js";

/** True when `zone` is a time zone this runtime knows (IANA names such as Europe/Berlin, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks `schedule` (a map) at `path`; returns issues for a missing or bad cron or time zone. */
export function checkSchedule(
  schedule: Record<string, unknown> | undefined,
  path: PathSegment[],
): RawIssue[] {
  const out: RawIssue[] = [];
  const cron = asString(asMap(schedule)?.cron);
  const zone = asString(asMap(schedule)?.time_zone);
  if (zone !== undefined && !isTimeZone(zone)) {
    out.push({
      path: [...path, "time_zone"],
      message: `unknown time zone "${zone}"; use an IANA name such as Europe/Berlin or UTC`,
      at: "value",
    });
  }
  if (cron === undefined) {
    out.push({ path: [...path, "cron"], message: "is required when kind is SCHEDULED", at: "value" });
    return out;
  }
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 && !cron.trim().startsWith("@")) {
    out.push({
      path: [...path, "cron"],
      message: `must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
      at: "value",
    });
    return out;
  }
  try {
    CronExpressionParser.parse(cron, zone !== undefined && isTimeZone(zone) ? { tz: zone } : {});
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    out.push({ path: [...path, "cron"], message: `is not a valid cron expression: ${why}`, at: "value" });
  }
  return out;
}
