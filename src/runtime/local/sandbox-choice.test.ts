import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseSandboxRuntime, isSandboxRuntimeName } from "./sandbox-choice.js";

describe("chooseSandboxRuntime", () => {
  it("takes gVisor when it works, isolated and without warnings", () => {
    const r = chooseSandboxRuntime({ kind: "gvisor", version: "0.0~20221219.0" });
    assert.deepEqual(r, {
      ok: true,
      choice: { runtime: "runsc", isolated: true, forced: false, warnings: [] },
    });
  });

  it("falls back to bubblewrap with the kernel warning and why runsc was not taken", () => {
    const r = chooseSandboxRuntime({ kind: "bubblewrap", reasons: ["runsc --version failed: not found"] });
    assert.ok(r.ok);
    assert.equal(r.choice.runtime, "bwrap");
    assert.equal(r.choice.isolated, false);
    assert.match(r.choice.warnings.join("\n"), /not gVisor.*host kernel/);
    assert.match(r.choice.warnings.join("\n"), /gVisor is not used: runsc --version failed: not found/);
  });

  it("falls back to plain processes and says what isolation is lost", () => {
    const r = chooseSandboxRuntime({ kind: "process", reason: "runsc: x; bwrap: y" });
    assert.ok(r.ok);
    assert.equal(r.choice.runtime, "process");
    assert.equal(r.choice.isolated, false);
    assert.match(r.choice.warnings[0] ?? "", /WITHOUT ISOLATION.*host's files.*every host process/);
  });

  it("a forced weaker runtime is still reported loudly, naming the flag", () => {
    const r = chooseSandboxRuntime({ kind: "bubblewrap", reasons: ["runsc was not tried"] }, "bwrap");
    assert.ok(r.ok);
    assert.equal(r.choice.forced, true);
    assert.equal(r.choice.warnings.length, 2);
    assert.match(r.choice.warnings[1] ?? "", /chosen with --sandbox-runtime/);
    const p = chooseSandboxRuntime({ kind: "gvisor", version: "v" }, "process");
    assert.ok(p.ok);
    assert.equal(p.choice.runtime, "process");
    assert.equal(p.choice.isolated, false);
  });

  it("refuses a forced runtime that cannot run here, saying what can", () => {
    const r = chooseSandboxRuntime({ kind: "process", reason: "bwrap --version failed: ENOENT" }, "bwrap");
    assert.deepEqual(r.ok, false);
    assert.match(r.ok ? "" : r.error, /--sandbox-runtime bwrap .*cannot run.*ENOENT.*choose process/);
    const g = chooseSandboxRuntime({ kind: "bubblewrap", reasons: ["runsc broken"] }, "runsc");
    assert.match(g.ok ? "" : g.error, /runsc .*runsc broken.*choose bwrap/);
  });

  it("isSandboxRuntimeName accepts the three names only", () => {
    assert.deepEqual(["runsc", "bwrap", "process", "gvisor"].map(isSandboxRuntimeName), [
      true,
      true,
      true,
      false,
    ]);
  });
});
