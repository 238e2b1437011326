import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { healthCheckSettings } from "./health-check.js";
import type { InstanceExit } from "./instance.js";
import {
  restartDelay,
  type SupervisedInstance,
  type SupervisorClock,
  type SupervisorEvent,
  superviseInstance,
} from "./supervisor.js";

/** A clock whose sleeps return at once and move time forward; records every sleep. */
function fakeClock(): SupervisorClock & { sleeps: number[]; advance(ms: number): void } {
  let now = Date.UTC(2026, 0, 1);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new Error("aborted");
      sleeps.push(ms);
      now += ms;
      // A macrotask turn, so that a loop of sleeps never starves the test's own waiting.
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** Instances the test ends by hand; records every action. */
function fakeStarter() {
  const actions: string[] = [];
  const exits: ((exit: InstanceExit) => void)[] = [];
  const start = async (attempt: number): Promise<SupervisedInstance> => {
    actions.push(`start ${attempt}`);
    let end: (exit: InstanceExit) => void = () => {};
    const ended = new Promise<InstanceExit>((r) => {
      end = r;
    });
    exits[attempt] = end;
    return {
      id: `i-${attempt}`,
      ip: "10.0.0.2",
      wait: () => ended,
      stop: async (o) => {
        actions.push(`stop ${attempt} grace ${o?.graceMs}`);
        end({ exitCode: 143, signal: "SIGTERM", oomKilled: false, durationMs: 1 });
        return ended;
      },
    };
  };
  return { actions, exits, start };
}

const until = async (predicate: () => boolean) => {
  for (let i = 0; i < 1000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(predicate(), "condition reached");
};

describe("supervisor", () => {
  it("computes 1 s doubling to 5 min", () => {
    assert.deepEqual(
      [1, 2, 3, 9, 10, 50].map((n) => restartDelay(n)),
      [1000, 2000, 4000, 256_000, 300_000, 300_000],
    );
  });

  it("restarts an exited instance with growing delays and reports each exit", async () => {
    const clock = fakeClock();
    const starter = fakeStarter();
    const events: SupervisorEvent[] = [];
    const sup = superviseInstance({ start: starter.start, clock, onEvent: (e) => events.push(e) });
    await until(() => starter.exits.length === 1);
    starter.exits[0]?.({ exitCode: 137, signal: "SIGKILL", oomKilled: true, durationMs: 5 });
    await until(() => starter.exits.length === 2);
    starter.exits[1]?.({ exitCode: 1, oomKilled: false, durationMs: 5 });
    await until(() => starter.exits.length === 3);
    assert.deepEqual(clock.sleeps, [1000, 2000]);
    const restarted = events.filter((e) => e.type === "RUN_RESTARTED");
    assert.deepEqual(restarted[0], {
      type: "RUN_RESTARTED",
      instance: "i-0",
      reason: "exited",
      exitCode: 137,
      signal: "SIGKILL",
      oomKilled: true,
      at: "2026-01-01T00:00:00.000Z",
      restartCount: 1,
      delayMs: 1000,
    });
    assert.equal(restarted[1]?.type === "RUN_RESTARTED" && restarted[1].restartCount, 2);
    assert.equal(sup.restartCount(), 2);
    assert.equal(sup.current()?.id, "i-2");
    await sup.stop({ graceMs: 7 });
    assert.deepEqual(starter.actions, ["start 0", "start 1", "start 2", "stop 2 grace 7"]);
    assert.equal(sup.current(), undefined);
  });

  it("goes back to the first delay after an instance ran for 10 minutes", async () => {
    const clock = fakeClock();
    const starter = fakeStarter();
    const sup = superviseInstance({ start: starter.start, clock });
    for (let i = 0; i < 3; i++) {
      await until(() => starter.exits.length === i + 1);
      starter.exits[i]?.({ exitCode: 1, oomKilled: false, durationMs: 1 });
    }
    await until(() => starter.exits.length === 4);
    clock.advance(600_000);
    starter.exits[3]?.({ exitCode: 1, oomKilled: false, durationMs: 1 });
    await until(() => starter.exits.length === 5);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 1000]);
    await sup.stop();
  });

  it("retries a start that fails, with backoff", async () => {
    const clock = fakeClock();
    const starter = fakeStarter();
    const events: SupervisorEvent[] = [];
    let failures = 2;
    const sup = superviseInstance({
      start: (n) => (failures-- > 0 ? Promise.reject(new Error("no stack")) : starter.start(n)),
      clock,
      onEvent: (e) => events.push(e),
    });
    await until(() => starter.exits.length === 3);
    assert.deepEqual(
      events.map((e) => e.type),
      ["RUN_START_FAILED", "RUN_START_FAILED", "RUN_STARTED"],
    );
    assert.deepEqual(clock.sleeps, [1000, 2000]);
    await sup.stop();
  });

  it("stops and restarts an instance whose liveness check fails failure_threshold times", async () => {
    const clock = fakeClock();
    const starter = fakeStarter();
    const events: SupervisorEvent[] = [];
    let probes = 0;
    const settings = { ...healthCheckSettings({ failure_threshold: 3 }, 8080, "liveness") };
    const sup = superviseInstance({
      start: starter.start,
      clock,
      onEvent: (e) => events.push(e),
      stopGraceMs: 500,
      liveness: {
        settings,
        probe: async () => {
          if (starter.exits.length > 1) return;
          probes++;
          throw new Error("connection refused");
        },
      },
    });
    await until(() => starter.exits.length === 2);
    assert.equal(probes, 3);
    assert.deepEqual(starter.actions.slice(0, 3), ["start 0", "stop 0 grace 500", "start 1"]);
    const restarted = events.find((e) => e.type === "RUN_RESTARTED");
    assert.equal(restarted?.type === "RUN_RESTARTED" && restarted.reason, "liveness");
    await sup.stop();
  });
});
