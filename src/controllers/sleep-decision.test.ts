import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ActivityState, decideSleep, pollInterval } from "./sleep-decision.js";

const settings = { afterMs: 10_000 };
const look = (
  nowMs: number,
  total: number | undefined,
  extra: { suspended?: boolean; serving?: boolean } = {},
) => ({
  nowMs,
  total,
  suspended: extra.suspended ?? false,
  serving: extra.serving ?? true,
});

/** Runs the looks in order and returns every decision. */
function run(looks: ReturnType<typeof look>[]) {
  let state: ActivityState | undefined;
  return looks.map((l) => {
    const d = decideSleep(state, l, settings);
    state = d.state;
    return d;
  });
}

describe("decideSleep", () => {
  it("starts the idle clock at the first look and never suspends then", () => {
    const [first] = run([look(1_000_000, 5)]);
    assert.equal(first?.suspend, false);
    assert.equal(first?.state.lastActivityMs, 1_000_000);
  });

  it("suspends a serving component once its request total has not changed for after_seconds", () => {
    const d = run([look(0, 5), look(5000, 5), look(9999, 5), look(10_000, 5)]);
    assert.deepEqual(
      d.map((x) => x.suspend),
      [false, false, false, true],
    );
    assert.equal(d[3]?.state.suspended, true);
  });

  it("counts a changed request total as activity and restarts the idle clock", () => {
    const d = run([look(0, 5), look(8000, 6), look(12_000, 6), look(18_000, 6)]);
    assert.deepEqual(
      d.map((x) => x.suspend),
      [false, false, false, true],
    );
    assert.equal(d[2]?.state.lastActivityMs, 8000);
  });

  it("never suspends when the request total cannot be read", () => {
    const d = run([look(0, undefined), look(60_000, undefined)]);
    assert.equal(d[1]?.suspend, false);
  });

  it("does not suspend a component that is not serving (starting or failing instances)", () => {
    const d = run([look(0, 1), look(20_000, 1, { serving: false })]);
    assert.equal(d[1]?.suspend, false);
  });

  it("does not suspend again while suspended, and counts a wake-up as activity", () => {
    const d = run([
      look(0, 1),
      look(10_000, 1),
      look(11_000, 1, { suspended: true, serving: false }),
      // Woken by the activator: the instances left suspension; the total may not have moved yet.
      look(12_000, 1, { serving: false }),
      look(15_000, 1),
      look(22_000, 1),
    ]);
    assert.deepEqual(
      d.map((x) => x.suspend),
      [false, true, false, false, false, true],
    );
    assert.equal(d[3]?.state.lastActivityMs, 12_000);
  });

  it("looks again when the idle time runs out, bounded by the poll interval", () => {
    const [, second] = run([look(0, 1), look(9500, 1)]);
    assert.equal(second?.recheckMs, 500);
    assert.equal(pollInterval({ afterMs: 600_000 }), 30_000);
    assert.equal(pollInterval({ afterMs: 3000 }), 1000);
  });
});
