import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../resources/index.js";
import { BuildError, describeOutcome } from "./build-error.js";

describe("BuildError", () => {
  const limits = { timeoutMs: 600_000, memoryMiB: 1024 };

  it("describes an exit code, the wall-time limit and the memory limit", () => {
    assert.equal(describeOutcome({ exitCode: 3, timedOut: false, oomKilled: false }, limits), "exit code 3");
    assert.match(
      describeOutcome({ exitCode: 137, timedOut: true, oomKilled: false }, limits),
      /timed out after 600 s/,
    );
    assert.match(
      describeOutcome({ exitCode: 137, timedOut: false, oomKilled: true }, limits),
      /memory limit of 1024 MiB/,
    );
  });

  it("names the phase, carries the log tail, and is failed_precondition for the source's faults", () => {
    const err = new BuildError(
      { phase: "build", exitCode: 3, timedOut: false, oomKilled: false },
      "exit code 3",
      ["a", "b"],
    );
    assert.ok(err instanceof SlipwayError);
    assert.equal(err.code, "failed_precondition");
    assert.match(err.message, /^build failed in phase build: exit code 3\n.*\na\nb$/);
    const io = new BuildError(
      { phase: "export", exitCode: null, timedOut: false, oomKilled: false },
      "ENOSPC",
      [],
    );
    assert.equal(io.code, "internal");
  });
});
