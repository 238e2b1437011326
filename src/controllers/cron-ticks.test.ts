import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CronTicksInput, dueTick, MAX_COUNTED_MISSED_TICKS } from "./cron-ticks.js";

const d = (iso: string) => new Date(iso);
const iso = (date: Date | undefined) => date?.toISOString();

interface Case {
  name: string;
  input: CronTicksInput;
  due: string | undefined;
  missed: number;
  next: string;
}

const cases: Case[] = [
  {
    name: "nothing is due before the first tick",
    input: { cron: "0 * * * *", after: d("2026-01-01T00:00:00Z"), now: d("2026-01-01T00:59:59Z") },
    due: undefined,
    missed: 0,
    next: "2026-01-01T01:00:00.000Z",
  },
  {
    name: "a tick is due at its exact second",
    input: { cron: "0 * * * *", after: d("2026-01-01T00:00:00Z"), now: d("2026-01-01T01:00:00Z") },
    due: "2026-01-01T01:00:00.000Z",
    missed: 0,
    next: "2026-01-01T02:00:00.000Z",
  },
  {
    name: "the tick already invoked is never due again",
    input: { cron: "0 * * * *", after: d("2026-01-01T01:00:00Z"), now: d("2026-01-01T01:30:00Z") },
    due: undefined,
    missed: 0,
    next: "2026-01-01T02:00:00.000Z",
  },
  {
    name: "after downtime only the newest missed tick is due; the older ones are counted",
    input: { cron: "0 * * * *", after: d("2026-01-01T01:00:00Z"), now: d("2026-01-01T05:10:00Z") },
    due: "2026-01-01T05:00:00.000Z",
    missed: 3,
    next: "2026-01-01T06:00:00.000Z",
  },
  {
    name: "the time zone moves the tick: 09:00 in Berlin is 08:00 UTC in winter",
    input: {
      cron: "0 9 * * *",
      timeZone: "Europe/Berlin",
      after: d("2026-01-10T00:00:00Z"),
      now: d("2026-01-10T08:00:00Z"),
    },
    due: "2026-01-10T08:00:00.000Z",
    missed: 0,
    next: "2026-01-11T08:00:00.000Z",
  },
  {
    name: "... and 07:00 UTC in summer",
    input: {
      cron: "0 9 * * *",
      timeZone: "Europe/Berlin",
      after: d("2026-07-10T00:00:00Z"),
      now: d("2026-07-10T12:00:00Z"),
    },
    due: "2026-07-10T07:00:00.000Z",
    missed: 0,
    next: "2026-07-11T07:00:00.000Z",
  },
  {
    name: "spring forward: 02:30 New York does not exist on 2026-03-08 and runs once at 03:30 EDT",
    input: {
      cron: "30 2 * * *",
      timeZone: "America/New_York",
      after: d("2026-03-07T12:00:00Z"),
      now: d("2026-03-08T12:00:00Z"),
    },
    due: "2026-03-08T07:30:00.000Z",
    missed: 0,
    next: "2026-03-09T06:30:00.000Z",
  },
  {
    name: "fall back: 01:30 New York happens twice on 2026-11-01 and runs once, at 01:30 EDT",
    input: {
      cron: "30 1 * * *",
      timeZone: "America/New_York",
      after: d("2026-11-01T05:30:00Z"),
      now: d("2026-11-01T12:00:00Z"),
    },
    due: undefined,
    missed: 0,
    next: "2026-11-02T06:30:00.000Z",
  },
  {
    name: "fall back: an interval keeps its real spacing through the repeated hour",
    input: {
      cron: "*/30 * * * *",
      timeZone: "America/New_York",
      after: d("2026-11-01T05:30:00Z"),
      now: d("2026-11-01T06:45:00Z"),
    },
    due: "2026-11-01T06:30:00.000Z",
    missed: 1,
    next: "2026-11-01T07:00:00.000Z",
  },
  {
    name: "an alias such as @daily works",
    input: { cron: "@daily", after: d("2026-01-01T00:00:00Z"), now: d("2026-01-02T00:00:01Z") },
    due: "2026-01-02T00:00:00.000Z",
    missed: 0,
    next: "2026-01-03T00:00:00.000Z",
  },
];

describe("dueTick", () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = dueTick(c.input);
      assert.equal(iso(got.due), c.due);
      assert.equal(got.missed, c.missed);
      assert.equal(iso(got.next), c.next);
    });
  }

  it("caps the count of missed ticks and still finds the newest after a long downtime", () => {
    const got = dueTick({
      cron: "* * * * *",
      after: d("2026-01-01T00:00:00Z"),
      now: d("2026-02-01T00:00:30Z"),
    });
    assert.equal(iso(got.due), "2026-02-01T00:00:00.000Z");
    assert.equal(got.missed, MAX_COUNTED_MISSED_TICKS);
    assert.equal(iso(got.next), "2026-02-01T00:01:00.000Z");
  });

  it("never returns the same tick twice when fed its own output", () => {
    let after = d("2026-03-07T00:00:00Z");
    const seen = new Set<string>();
    for (let hour = 0; hour < 72; hour++) {
      const now = new Date(Date.parse("2026-03-07T00:00:00Z") + hour * 3_600_000 + 60_000);
      const { due } = dueTick({ cron: "*/20 1-3 * * *", timeZone: "America/New_York", after, now });
      if (due === undefined) continue;
      assert.ok(!seen.has(due.toISOString()), `tick ${due.toISOString()} came twice`);
      assert.ok(due.getTime() > after.getTime());
      seen.add(due.toISOString());
      after = due;
    }
    assert.ok(seen.size >= 6, `expected ticks over three days, got ${seen.size}`);
  });
});
