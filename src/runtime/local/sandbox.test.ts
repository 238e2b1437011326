import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderOciSpec } from "./oci-spec.js";
import { runSandbox } from "./sandbox.js";

// Debian's 2022 runsc can hang in `delete` waiting for its gofer, which the real runsc does not
// do on demand; this stand-in reproduces it: its first `delete` hangs, the second one works.
function fakeRunsc(dir: string, sandboxPid: number): string {
  return `#!/bin/sh
shift 2
case "$1" in --network=*) shift ;; esac
case "$1" in
  run) echo hello; exit 0 ;;
  state) [ -e "${dir}/deleted" ] && exit 1; echo '{"pid": ${sandboxPid}}'; exit 0 ;;
  delete)
    if [ -e "${dir}/tried" ]; then touch "${dir}/deleted"; exit 0; fi
    touch "${dir}/tried"; exec sleep 100 ;;
  kill) exit 0 ;;
esac
exit 64
`;
}

describe("runSandbox cleanup", () => {
  it("kills the sandbox process and deletes again when runsc delete hangs", { timeout: 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-fake-runsc-"));
    const sandbox = spawn("sleep", ["100"], { stdio: "ignore" });
    const sandboxExit = new Promise<NodeJS.Signals | null>((resolve) =>
      sandbox.on("exit", (_c, s) => resolve(s)),
    );
    try {
      const runscPath = join(dir, "runsc");
      await writeFile(runscPath, fakeRunsc(dir, sandbox.pid ?? 0));
      await chmod(runscPath, 0o755);
      let stdout = "";
      const result = await runSandbox({
        runscPath,
        stateRoot: join(dir, "state"),
        bundleDir: join(dir, "bundle"),
        id: "hangs-in-delete",
        spec: renderOciSpec({
          rootfs: "/nonexistent",
          args: ["true"],
          memoryMiB: 64,
          cpus: 1,
          pidsLimit: 256,
          cgroupsPath: "/slipway-fake",
        }),
        timeoutMs: 10_000,
        commandTimeoutMs: 300,
        onOutput: (_stream, chunk) => {
          stdout += chunk.toString();
        },
      });
      assert.deepEqual(
        [result.exitCode, result.oomKilled, result.timedOut, stdout],
        [0, false, false, "hello\n"],
      );
      assert.equal(await sandboxExit, "SIGKILL", "the hung sandbox's process was killed");
      assert.ok(existsSync(join(dir, "deleted")), "the second delete ran");
    } finally {
      sandbox.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
