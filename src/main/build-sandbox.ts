/**
 * Wires the local runtime's gVisor sandbox into the build lifecycle: `src/build` sees only the
 * narrow RunInSandbox type, this file adapts `runSandbox` to it (see docs/adr/0008-build-lifecycle.md).
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunInSandbox, SandboxOutcome, SandboxRequest } from "../build/index.js";
import { renderOciSpec, startSandbox } from "../runtime/local/index.js";

/** Options of {@link createGvisorBuildSandbox}. */
export interface GvisorBuildSandboxOptions {
  /** Holds runsc's state (`state/`) and the bundles (`bundles/<id>`, removed after each run). */
  workDir: string;
  /** Default `runsc` from PATH. */
  runscPath?: string;
  /** Host tasks per sandbox (sentry, gofer, one per process on ptrace); default 1024. */
  pidsLimit?: number;
  /**
   * Where `network: "registries"` requests run (build-egress.ts, ADR 0019). Without it such
   * requests fail: a build never falls back to the host's network.
   */
  egress?: BuildEgressNetwork;
}

/** The restricted network of `network: "registries"` requests. */
export interface BuildEgressNetwork {
  /** A fresh network namespace that reaches only the egress proxy; `release` removes it. */
  attach(): Promise<{ netnsPath: string; address: string; release(): Promise<void> }>;
  /** Points the build's package managers at the proxy (HTTPS_PROXY & co.). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A RunInSandbox that runs each request in a fresh gVisor container with its own id, bundle and
 * cgroup (runsc applies limits only to a cgroup it creates, ADR 0006). `network: "registries"`
 * runs it in a namespace of `options.egress` with the proxy's environment; `network: "host"` leaves
 * out the network namespace, as runsc's host mode needs. Needs root.
 */
export function createGvisorBuildSandbox(options: GvisorBuildSandboxOptions): RunInSandbox {
  return async (req) => {
    if (req.network !== "registries") return run(options, req, undefined);
    if (options.egress === undefined)
      throw new Error(
        "this build sandbox has no egress network: builds reach package registries only through the server's egress proxy (startBuildEgress)",
      );
    const net = await options.egress.attach();
    try {
      return await run(options, req, { netnsPath: net.netnsPath, env: options.egress.env });
    } finally {
      await net.release();
    }
  };
}

async function run(
  options: GvisorBuildSandboxOptions,
  req: SandboxRequest,
  egress: { netnsPath: string; env: Readonly<Record<string, string>> } | undefined,
): Promise<SandboxOutcome> {
  const id = `slipway-build-${process.pid}-${randomBytes(6).toString("hex")}`;
  const bundleDir = join(options.workDir, "bundles", id);
  const spec = renderOciSpec({
    rootfs: req.rootfs,
    args: req.args,
    env: { ...req.env, ...egress?.env },
    cwd: req.cwd,
    mounts: req.mounts,
    tmpfs: [{ destination: "/tmp", sizeMiB: req.tmpMiB }],
    memoryMiB: req.memoryMiB,
    cpus: req.cpus,
    pidsLimit: options.pidsLimit ?? 1024,
    hostname: "build",
    hostNetwork: req.network === "host",
    ...(egress === undefined ? {} : { netnsPath: egress.netnsPath }),
    cgroupsPath: `/${id}`,
  });
  try {
    const handle = await startSandbox({
      ...(options.runscPath === undefined ? {} : { runscPath: options.runscPath }),
      stateRoot: join(options.workDir, "state"),
      bundleDir,
      id,
      spec,
      network: egress === undefined ? (req.network === "host" ? "host" : "none") : "sandbox",
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
}
