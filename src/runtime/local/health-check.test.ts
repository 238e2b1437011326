import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import {
  type HealthStatus,
  healthCheckSettings,
  nextHealthStatus,
  type ProbeTarget,
  realProbe,
  startHealthCheck,
} from "./health-check.js";

const fresh: HealthStatus = {
  state: "not-ready",
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  probes: 0,
};

describe("health checks", () => {
  it("fills DO's readiness and liveness defaults and the component's port", () => {
    assert.deepEqual(healthCheckSettings(undefined, 8080), {
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 9,
      port: 8080,
    });
    const liveness = healthCheckSettings({ http_path: "/healthz" }, 3000, "liveness");
    assert.deepEqual(
      [liveness.initialDelaySeconds, liveness.failureThreshold, liveness.httpPath, liveness.port],
      [5, 18, "/healthz", 3000],
    );
    assert.equal(healthCheckSettings({ path: "/old", port: 9 }, 80).httpPath, "/old");
    assert.equal(healthCheckSettings({ path: "/old", port: 9 }, 80).port, 9);
  });

  it("becomes ready after success_threshold successes and not ready after failure_threshold failures", () => {
    const settings = { ...healthCheckSettings(undefined, 80), successThreshold: 2, failureThreshold: 3 };
    const run = (outcomes: (string | undefined)[]) =>
      outcomes.reduce((s, e) => nextHealthStatus(s, settings, e), fresh);
    assert.equal(run([undefined]).state, "not-ready");
    assert.equal(run([undefined, undefined]).state, "ready");
    assert.equal(run([undefined, undefined, "x", "y"]).state, "ready", "two failures are tolerated");
    const down = run([undefined, undefined, "x", "y", "refused"]);
    assert.deepEqual([down.state, down.lastError, down.consecutiveFailures], ["not-ready", "refused", 3]);
    assert.equal(run([undefined, undefined, "x", undefined, "y", "z"]).state, "ready", "a success resets");
  });

  it("waits the initial delay, probes every period and reports changes", async () => {
    const sleeps: number[] = [];
    const targets: ProbeTarget[] = [];
    const outcomes = [false, true, true, false];
    const changes: HealthStatus[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const settings = { ...healthCheckSettings({ initial_delay_seconds: 4, http_path: "/up" }, 80) };
    settings.failureThreshold = 1;
    const check = startHealthCheck({
      settings,
      host: "10.0.0.2",
      probe: async (target) => {
        targets.push(target);
        const ok = outcomes.shift();
        if (!ok) throw new Error("refused");
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onChange: (s) => changes.push(s),
      onProbe: (s) => {
        if (s.probes === 4) done();
      },
    });
    await finished;
    await check.stop();
    assert.deepEqual(sleeps.slice(0, 4), [4000, 10_000, 10_000, 10_000]);
    assert.deepEqual(targets[0], { host: "10.0.0.2", port: 80, timeoutMs: 1000, httpPath: "/up" });
    assert.deepEqual(
      changes.map((c) => [c.state, c.lastError]),
      [
        ["not-ready", "refused"],
        ["ready", undefined],
        ["not-ready", "refused"],
      ],
    );
  });

  it("retries fast while starting, counting at most one failure per period, then probes per period", async () => {
    const sleeps: number[] = [];
    const counted: HealthStatus[] = [];
    let clock = 0;
    // Four failures 100 ms apart, then success: only the first failure is counted (the period is
    // 10 s), the check is ready after the fifth probe and then goes back to one probe per period.
    const outcomes = [false, false, false, false, true, false];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const settings = { ...healthCheckSettings(undefined, 80), failureThreshold: 2 };
    const check = startHealthCheck({
      settings,
      host: "10.0.0.2",
      startupIntervalMs: 100,
      now: () => clock,
      probe: async () => {
        if (outcomes.shift() !== true) throw new Error("refused");
      },
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      onProbe: (s) => {
        counted.push(s);
        if (outcomes.length === 0) done();
      },
    });
    await finished;
    await check.stop();
    assert.deepEqual(sleeps.slice(0, 7), [0, 100, 100, 100, 100, 10_000, 10_000]);
    assert.deepEqual(
      counted.map((s) => [s.state, s.consecutiveFailures]),
      [
        ["not-ready", 1],
        ["ready", 0],
        ["ready", 1],
      ],
      "startup retries inside one period are not counted; after ready every failure is",
    );
  });

  it("bounds the connect of startup probes only, and gives the answer the whole timeout", async () => {
    const seen: (number | undefined)[] = [];
    const outcomes = [false, true, true];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const check = startHealthCheck({
      settings: healthCheckSettings({ timeout_seconds: 3 }, 80),
      host: "10.0.0.2",
      startupIntervalMs: 100,
      startupConnectTimeoutMs: 200,
      probe: async (target) => {
        seen.push(target.connectTimeoutMs);
        assert.equal(target.timeoutMs, 3000);
        if (outcomes.shift() !== true) throw new Error("refused");
      },
      sleep: async () => {},
      onProbe: () => {
        if (outcomes.length === 0) done();
      },
    });
    await finished;
    await check.stop();
    assert.deepEqual(seen.slice(0, 3), [200, 200, undefined]);
  });

  it("while starting, a failure is counted again once a period has passed", async () => {
    let clock = 0;
    const counted: number[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const settings = { ...healthCheckSettings({ period_seconds: 1 }, 80), failureThreshold: 3 };
    const check = startHealthCheck({
      settings,
      host: "10.0.0.2",
      startupIntervalMs: 250,
      now: () => clock,
      probe: async () => {
        throw new Error("refused");
      },
      sleep: async (ms) => {
        clock += ms;
      },
      onProbe: (s) => {
        counted.push(clock);
        if (s.consecutiveFailures === 3) done();
      },
    });
    await finished;
    await check.stop();
    assert.deepEqual(counted, [0, 1000, 2000], "one counted failure per period, so 3 take 2 s as before");
  });

  it("resumes a check that already passed: no initial delay, ready until failure_threshold failures", async () => {
    const sleeps: number[] = [];
    const states: string[] = [];
    const outcomes = [false, false, true, false, false, false];
    const settings = healthCheckSettings({ initial_delay_seconds: 4, failure_threshold: 3 }, 80);
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const check = startHealthCheck({
      settings,
      host: "10.0.0.2",
      initialState: "ready",
      probe: async () => {
        if (!outcomes.shift()) throw new Error("refused");
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onProbe: (s) => {
        states.push(s.state);
        if (s.probes === 6) done();
      },
    });
    await finished;
    await check.stop();
    assert.equal(sleeps[0], 10_000, "no initial delay");
    assert.deepEqual(states, ["ready", "ready", "ready", "ready", "ready", "not-ready"]);
  });

  it("probes real HTTP (2xx/3xx pass, 5xx fails) and TCP", async () => {
    const server: Server = createServer((req, res) => {
      res.statusCode = req.url === "/ok" ? 204 : req.url === "/moved" ? 302 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const at = { host: "127.0.0.1", port, timeoutMs: 1000 };
      await realProbe({ ...at, httpPath: "/ok" });
      await realProbe({ ...at, httpPath: "/moved" });
      await assert.rejects(realProbe({ ...at, httpPath: "/bad" }), /status 503/);
      await realProbe(at);
    } finally {
      await new Promise((r) => server.close(r));
    }
    await assert.rejects(realProbe({ host: "127.0.0.1", port, timeoutMs: 1000 }), /ECONNREFUSED/);
  });
});
