/**
 * Wires the local runtime's gVisor sandbox into the build lifecycle: `src/build` sees only the
 * narrow RunInSandbox type, this file adapts `runSandbox` to it (see docs/adr/0008-build-lifecycle.md).
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunInSandbox } from "../build/index.js";
import { renderOciSpec, startSandbox } from "../runtime/local/index.js";

/** Options of {@link createGvisorBuildSandbox}. */
export interface GvisorBuildSandboxOptions {
  /** Holds runsc's state (`state/`) and the bundles (`bundles/<id>`, removed after each run). */
  workDir: string;
  /** Default `runsc` from PATH. */
  runscPath?: string;
  /** Host tasks per sandbox (sentry, gofer, one per process on ptrace); default 1024. */
  pidsLimit?: number;
}

/**
 * A RunInSandbox that runs each request in a fresh gVisor container with its own id, bundle and
 * cgroup (runsc applies limits only to a cgroup it creates, ADR 0006). `network: "host"` also
 * leaves out the network namespace, as runsc's host mode needs. Needs root.
 */
export function createGvisorBuildSandbox(options: GvisorBuildSandboxOptions): RunInSandbox {
  return async (req) => {
    const id = `slipway-build-${process.pid}-${randomBytes(6).toString("hex")}`;
    const bundleDir = join(options.workDir, "bundles", id);
    const spec = renderOciSpec({
      rootfs: req.rootfs,
      args: req.args,
      env: req.env,
      cwd: req.cwd,
      mounts: req.mounts,
      tmpfs: [{ destination: "/tmp", sizeMiB: req.tmpMiB }],
      memoryMiB: req.memoryMiB,
      cpus: req.cpus,
      pidsLimit: options.pidsLimit ?? 1024,
      hostname: "build",
      hostNetwork: req.network === "host",
      cgroupsPath: `/${id}`,
    });
    try {
      const handle = await startSandbox({
        ...(options.runscPath === undefined ? {} : { runscPath: options.runscPath }),
        stateRoot: join(options.workDir, "state"),
        bundleDir,
        id,
        spec,
        network: req.network,
        timeoutMs: req.timeoutMs,
        onOutput: req.onOutput,
      });
      const stop = () => void handle.kill("SIGKILL").catch(() => {});
      if (req.signal?.aborted === true) stop();
      req.signal?.addEventListener("abort", stop, { once: true });
      try {
        return await handle.wait();
      } finally {
        req.signal?.removeEventListener("abort", stop);
      }
    } finally {
      await rm(bundleDir, { recursive: true, force: true });
    }
  };
}
