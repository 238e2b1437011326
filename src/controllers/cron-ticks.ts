/**
 * The job scheduler's pure core: which cron tick of a job is due now, and when to wake up next.
 *
 * Semantics (ADR 0016): a tick is due when it is later than the last tick already invoked and
 * not later than now. When several are due (the control plane was down, or a reconcile came
 * late), only the newest runs, as a Kubernetes CronJob without a starting deadline; the older
 * ones are counted as missed and dropped. Ticks are computed by cron-parser in the job's time
 * zone: on a spring-forward day a wall-clock time that does not exist (02:30 in New York) runs
 * once, an hour later on the wall clock; on a fall-back day a time that happens twice (01:30)
 * runs once, at its first occurrence, while intervals (`*\/30`) keep firing every 30 real minutes.
 */
import { CronExpressionParser } from "cron-parser";

/** More missed ticks than this are not counted one by one (a minutely job down for days). */
export const MAX_COUNTED_MISSED_TICKS = 1000;

/** Input of `dueTick`. */
export interface CronTicksInput {
  /** A cron expression the spec validator accepted (five fields, or a `@daily`-style alias). */
  cron: string;
  /** IANA time zone of the schedule; default UTC. */
  timeZone?: string;
  /** The last tick already invoked, or when scheduling began: ticks at or before it are never due. */
  after: Date;
  now: Date;
}

/** Output of `dueTick`. */
export interface CronTicks {
  /** The tick to invoke now: the newest tick in (after, now]; absent when none is due. */
  due?: Date;
  /** Ticks in (after, now] older than `due`, dropped; at most MAX_COUNTED_MISSED_TICKS. */
  missed: number;
  /** The first tick after now: when the scheduler should look again. */
  next: Date;
}

function ticksFrom(input: CronTicksInput, from: Date) {
  return CronExpressionParser.parse(input.cron, { tz: input.timeZone ?? "UTC", currentDate: from });
}

/**
 * The due tick, the count of missed ones and the next tick of `input.cron`. Throws for a cron
 * expression cron-parser cannot read (a Deployment's spec was validated, so that is a bug).
 */
export function dueTick(input: CronTicksInput): CronTicks {
  const { after, now } = input;
  const forward = ticksFrom(input, after);
  const seen: Date[] = [];
  for (;;) {
    const tick = forward.next().toDate();
    if (tick.getTime() > now.getTime()) {
      const due = seen.at(-1);
      return { ...(due === undefined ? {} : { due }), missed: Math.max(0, seen.length - 1), next: tick };
    }
    seen.push(tick);
    if (seen.length > MAX_COUNTED_MISSED_TICKS) break;
  }
  // Too many to walk: find the newest due tick backwards from now (cron-parser's `prev` excludes
  // its start, so start just after now) and the next one forwards.
  const due = ticksFrom(input, new Date(now.getTime() + 1))
    .prev()
    .toDate();
  const next = ticksFrom(input, now).next().toDate();
  return { due, missed: MAX_COUNTED_MISSED_TICKS, next };
}
