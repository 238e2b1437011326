import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gracefulStop } from "./graceful-stop.js";
import type { InstanceExit } from "./instance.js";

const exited: InstanceExit = { exitCode: 0, oomKilled: false, durationMs: 5 };

/** An instance that ends when `end` is called, and records the steps it was sent. */
function fakeInstance(endsOnTerm: boolean) {
  const calls: string[] = [];
  let end = (_e: InstanceExit) => {};
  const exit = new Promise<InstanceExit>((resolve) => {
    end = resolve;
  });
  const stop = gracefulStop(exit, {
    term: async () => {
      calls.push("term");
      if (endsOnTerm) end(exited);
    },
    force: async () => {
      calls.push("force");
      end({ ...exited, exitCode: null, signal: "SIGKILL" });
    },
  });
  return { calls, stop, end: () => end(exited) };
}

describe("gracefulStop", () => {
  it("asks the instance to end and does not force one that does", async () => {
    const i = fakeInstance(true);
    assert.deepEqual(await i.stop(1000), exited);
    assert.deepEqual(i.calls, ["term"]);
  });

  it("forces an instance still running once the grace has passed", async () => {
    const i = fakeInstance(false);
    const result = await i.stop(20);
    assert.equal(result.signal, "SIGKILL");
    assert.deepEqual(i.calls, ["term", "force"]);
  });

  it("only returns the exit of an instance that has already ended", async () => {
    const i = fakeInstance(false);
    i.end();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await i.stop(20), exited);
    assert.deepEqual(i.calls, []);
  });
});
