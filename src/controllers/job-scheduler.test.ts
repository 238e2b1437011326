/**
 * The job scheduler and the JobInvocation controller together, on the real SQLite store, with a
 * hand-driven clock and an in-process job runner that records its calls (the real runner needs
 * the runtime's sandbox; the subject here is the controllers' side of the JobRunner contract).
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { cronJob, JobFixture, NS } from "../../test/helpers/job-fixture.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { App } from "../resources/app.js";
import { jobInvocationName, TERMINAL_JOB_INVOCATION_PHASES } from "../resources/job-invocation.js";

const START = new Date("2026-01-01T00:02:00Z");
const MIN = 60_000;
const at = (hhmm: string) => new Date(`2026-01-01T${hhmm}:00Z`);
const inv = (hhmm: string, job = "cleanup") => jobInvocationName("shop", job, at(hhmm));
const done = (i: { status?: { phase: string } }) =>
  TERMINAL_JOB_INVOCATION_PHASES.some((p) => p === i.status?.phase);

describe("job scheduler and JobInvocation controller", () => {
  let f: JobFixture;
  beforeEach(async () => {
    f = await JobFixture.create(START);
  });
  afterEach(async () => {
    await f.cleanup();
  });

  const scheduledSince = async () =>
    waitFor(
      async () => (await f.appNow()).status?.scheduledJobs?.cleanup !== undefined,
      5000,
      "the job scheduled",
    );

  it("creates and runs one invocation per tick, named after the tick, and records the last tick", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    await f.start();
    await scheduledSince();
    assert.equal((await f.appNow()).status?.scheduledJobs?.cleanup?.since, START.toISOString());
    await f.advanceWhenAsked(3 * MIN);
    const first = await f.waitForInvocation(
      inv("00:05"),
      (i) => i.status?.phase === "SUCCEEDED",
      "SUCCEEDED",
    );
    assert.equal(first.status?.exitCode, 0);
    assert.equal(first.spec.trigger, "SCHEDULED");
    assert.equal(first.spec.deployment, "shop-d1");
    assert.equal(first.spec.timeoutSeconds, 1800);
    assert.equal(first.status?.startedAt, at("00:05").toISOString());
    await f.advanceWhenAsked(5 * MIN);
    await f.waitForInvocation(inv("00:10"), (i) => i.status?.phase === "SUCCEEDED", "SUCCEEDED");
    assert.deepEqual(
      f.runner.calls.map((c) => c.invocation),
      [inv("00:05"), inv("00:10")],
    );
    await waitFor(
      async () => (await f.appNow()).status?.scheduledJobs?.cleanup?.lastInvocation === inv("00:10"),
      5000,
      "status to name the last invocation",
    );
    const entry = (await f.appNow()).status?.scheduledJobs?.cleanup;
    assert.equal(entry?.lastScheduleTime, at("00:10").toISOString());
    assert.equal(entry?.missedTicks, undefined);
  });

  it("runs only the newest tick missed while the control plane was down, and counts the others", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    await f.start();
    await scheduledSince();
    await f.restart();
    f.timers.advance(20 * MIN); // 00:22: ticks 00:05, 00:10, 00:15 and 00:20 were missed
    await f.start();
    await f.waitForInvocation(inv("00:20"), done, "finished");
    await waitFor(
      async () => (await f.appNow()).status?.scheduledJobs?.cleanup?.missedTicks === 3,
      5000,
      "three missed ticks recorded",
    );
    assert.deepEqual(
      (await f.invocations()).map((i) => i.metadata.name),
      [inv("00:20")],
    );
  });

  it("never invokes a tick twice across a restart, even when it crashed before writing status", async () => {
    const { app, deployment } = await f.app([cronJob("cleanup", "*/5 * * * *")]);
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    await f.waitForInvocation(inv("00:05"), done, "finished");
    await f.restart();
    // A scheduler that created the 00:10 invocation and crashed before recording it in status.
    f.timers.advance(5 * MIN);
    const { newJobInvocation } = await import("../resources/new-job-invocation.js");
    const fresh = await f.store.get<App>("App", { namespace: NS, name: app.metadata.name });
    await f.store.create(
      newJobInvocation(fresh, deployment, { job: "cleanup", tick: at("00:10"), trigger: "SCHEDULED" }),
    );
    await f.start();
    await f.waitForInvocation(inv("00:10"), done, "finished");
    await waitFor(
      async () => (await f.appNow()).status?.scheduledJobs?.cleanup?.lastInvocation === inv("00:10"),
      5000,
      "status to catch up",
    );
    await f.restart();
    await f.start();
    await f.advanceWhenAsked(5 * MIN);
    await f.waitForInvocation(inv("00:15"), done, "finished");
    assert.deepEqual(
      (await f.invocations()).map((i) => i.metadata.name),
      [inv("00:05"), inv("00:10"), inv("00:15")],
    );
    assert.deepEqual(
      f.runner.calls.map((c) => c.invocation),
      [inv("00:05"), inv("00:10"), inv("00:15")],
    );
  });

  it("fails an invocation that runs past its timeout and aborts the runner", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *", { timeout: "90s" })]);
    f.runner.plan({ kind: "block" });
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    await f.waitForInvocation(inv("00:05"), (i) => i.status?.phase === "RUNNING", "RUNNING");
    await f.advanceWhenAsked(90_000);
    const failed = await f.waitForInvocation(inv("00:05"), (i) => i.status?.phase === "FAILED", "FAILED");
    assert.equal(failed.status?.message, "timed out after 90 s");
    assert.equal(failed.status?.completedAt, new Date(at("00:05").getTime() + 90_000).toISOString());
    await waitFor(() => f.runner.calls[0]?.aborted === true, 5000, "the runner aborted");
  });

  it("records exit codes and runner errors as FAILED", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    f.runner.plan({ kind: "exit", code: 3 }, { kind: "throw", message: "no artifact for job cleanup" });
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    const exited = await f.waitForInvocation(inv("00:05"), done, "finished");
    assert.deepEqual([exited.status?.phase, exited.status?.exitCode], ["FAILED", 3]);
    assert.equal(exited.status?.message, "the job exited with code 3");
    await f.advanceWhenAsked(5 * MIN);
    const threw = await f.waitForInvocation(inv("00:10"), done, "finished");
    assert.deepEqual([threw.status?.phase, threw.status?.message], ["FAILED", "no artifact for job cleanup"]);
    assert.equal(threw.status?.exitCode, undefined);
  });

  it("cancels a running invocation when spec.canceled is set", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    f.runner.plan({ kind: "block" });
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    const running = await f.waitForInvocation(inv("00:05"), (i) => i.status?.phase === "RUNNING", "RUNNING");
    await f.store.update({ ...running, spec: { ...running.spec, canceled: true } });
    const canceled = await f.waitForInvocation(inv("00:05"), done, "finished");
    assert.deepEqual(
      [canceled.status?.phase, canceled.status?.message],
      ["CANCELED", "canceled while running"],
    );
    await waitFor(() => f.runner.calls[0]?.aborted === true, 5000, "the runner aborted");
  });

  it("records a tick that comes while the previous invocation runs as SKIPPED", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    f.runner.plan({ kind: "block" });
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    await f.waitForInvocation(inv("00:05"), (i) => i.status?.phase === "RUNNING", "RUNNING");
    await f.advanceWhenAsked(5 * MIN);
    const skipped = await f.waitForInvocation(inv("00:10"), done, "finished");
    assert.equal(skipped.status?.phase, "SKIPPED");
    assert.equal(
      skipped.status?.message,
      `skipped: invocation ${inv("00:05")} of job cleanup was still running`,
    );
    assert.equal((await f.invocation(inv("00:05"))).status?.phase, "RUNNING");
    assert.equal(f.runner.calls.length, 1);
  });

  it("fails an invocation left RUNNING by a control-plane restart and does not run it again", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    f.runner.plan({ kind: "block" });
    await f.start();
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    await f.waitForInvocation(inv("00:05"), (i) => i.status?.phase === "RUNNING", "RUNNING");
    await f.restart();
    assert.equal((await f.invocation(inv("00:05"))).status?.phase, "RUNNING");
    await f.start();
    const failed = await f.waitForInvocation(inv("00:05"), done, "finished");
    const { INTERRUPTED_MESSAGE } = await import("./job-invocation-controller.js");
    assert.deepEqual([failed.status?.phase, failed.status?.message], ["FAILED", INTERRUPTED_MESSAGE]);
    assert.equal(f.runner.calls.length, 1);
  });

  it("stops scheduling a job removed from the active spec and forgets it", async () => {
    const { app } = await f.app([cronJob("cleanup", "*/5 * * * *"), cronJob("report", "*/7 * * * *")]);
    await f.start();
    await waitFor(
      async () => Object.keys((await f.appNow()).status?.scheduledJobs ?? {}).length === 2,
      5000,
      "both jobs scheduled",
    );
    await f.deploy(app, "shop-d2", "ACTIVE", [cronJob("report", "*/7 * * * *")]);
    await waitFor(
      async () => Object.keys((await f.appNow()).status?.scheduledJobs ?? {}).join() === "report",
      5000,
      "cleanup forgotten",
    );
    // The wake-up asked for while cleanup was scheduled (00:05) comes first, then report's (00:07).
    await f.advanceWhenAsked(3 * MIN);
    await f.advanceWhenAsked(2 * MIN);
    await f.waitForInvocation(inv("00:07", "report"), done, "finished");
    await f.advanceWhenAsked(7 * MIN);
    await f.waitForInvocation(inv("00:14", "report"), done, "finished");
    const names = (await f.invocations()).map((i) => i.metadata.name);
    assert.deepEqual(names, [inv("00:07", "report"), inv("00:14", "report")]);
    assert.equal((await f.invocation(inv("00:14", "report"))).spec.deployment, "shop-d2");
  });

  it("schedules nothing for an app whose deployment is not ACTIVE", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")], "BUILDING");
    // Even a status naming it as active (stale or hand-written) does not make it run jobs.
    const app = await f.appNow();
    await f.store.updateStatus<App>({ ...app, status: { ...app.status, activeDeployment: "shop-d1" } });
    await f.start();
    await waitFor(() => (f.controllers[0]?.stats().reconciles ?? 0) >= 1, 5000, "the scheduler to look");
    f.timers.advance(30 * MIN);
    const later = await f.appNow();
    await f.store.update<App>({ ...later, metadata: { ...later.metadata, labels: { poke: "1" } } });
    await waitFor(
      () => (f.controllers[0]?.stats().reconciles ?? 0) >= 2,
      5000,
      "the scheduler to see the poke",
    );
    await waitFor(() => f.controllers[0]?.idle() === true, 5000, "the scheduler idle");
    assert.equal((await f.appNow()).status?.scheduledJobs, undefined);
    assert.deepEqual(await f.invocations(), []);
  });

  it("keeps only historyLimit finished invocations per job, deleting the oldest ticks", async () => {
    await f.app([cronJob("cleanup", "*/5 * * * *")]);
    await f.start({ historyLimit: 2 });
    await scheduledSince();
    await f.advanceWhenAsked(3 * MIN);
    await f.waitForInvocation(inv("00:05"), done, "finished");
    for (const tick of ["00:10", "00:15", "00:20"]) {
      await f.advanceWhenAsked(5 * MIN);
      await f.waitForInvocation(inv(tick), done, "finished");
    }
    // At 00:20 the finished 00:05, 00:10 and 00:15 were seen; the two newest stay.
    assert.deepEqual(
      (await f.invocations()).map((i) => i.metadata.name),
      [inv("00:10"), inv("00:15"), inv("00:20")],
    );
    assert.equal(f.runner.calls.length, 4);
  });
});
