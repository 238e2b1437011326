/**
 * Adapts the local runtime's gVisor sandbox to the build lifecycle's RunInSandbox, as the
 * composition root will: one fresh container id, bundle and cgroup per command.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunInSandbox } from "../../src/build/index.js";
import { renderOciSpec, runSandbox } from "../../src/runtime/local/index.js";

/** A RunInSandbox running each request with runsc under `workDir` (state and bundles). */
export function gvisorBuildSandbox(workDir: string): RunInSandbox {
  return async (req) => {
    const id = `slipway-build-${process.pid}-${randomBytes(4).toString("hex")}`;
    const bundleDir = join(workDir, "bundles", id);
    const spec = renderOciSpec({
      rootfs: req.rootfs,
      args: req.args,
      env: req.env,
      cwd: req.cwd,
      mounts: req.mounts,
      tmpfs: [{ destination: "/tmp", sizeMiB: req.tmpMiB }],
      memoryMiB: req.memoryMiB,
      cpus: req.cpus,
      pidsLimit: 1024,
      hostname: "build",
      hostNetwork: req.network === "host",
      cgroupsPath: `/${id}`,
    });
    try {
      return await runSandbox({
        stateRoot: join(workDir, "state"),
        bundleDir,
        id,
        spec,
        network: req.network,
        timeoutMs: req.timeoutMs,
        onOutput: req.onOutput,
      });
    } finally {
      await rm(bundleDir, { recursive: true, force: true });
    }
  };
}
