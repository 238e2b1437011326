/**
 * App instances that outlive the control plane (ADR 0026): the same sandbox as `startInstance`
 * (renderInstanceSpec, ADR 0012), started detached with its output in files
 * (detached-sandbox.ts, output-tail.ts), and `adoptInstance` for a sandbox a previous control
 * plane started (found with `listInstances`). Both hand back an {@link InstanceHandle} that can
 * also be released: watching stops, the sandbox keeps running for the next control plane.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { readHostOomKills } from "./cgroup-oom.js";
import {
  type DetachedSandboxHandle,
  sandboxOutputFiles,
  startDetachedSandbox,
  watchSandbox,
} from "./detached-sandbox.js";
import { gracefulStop, sandboxStopSteps } from "./graceful-stop.js";
import {
  boostOf,
  type InstanceExit,
  type InstanceHandle,
  type ListedInstance,
  type StartInstanceOptions,
  startupCpusOf,
} from "./instance.js";
import { renderInstanceSpec } from "./instance-spec.js";
import { removeOutput, tailOutput } from "./output-tail.js";
import { endStartupBoost, type StartupBoost } from "./startup-boost.js";

/** Options of {@link startDetachedInstance}: startInstance's, plus where output files go. */
export interface DetachedInstanceOptions extends StartInstanceOptions {
  /** Holds `<id>.out|.err` and their read positions while the instance runs. */
  outputDir: string;
}

/** Options of {@link adoptInstance}. */
export interface AdoptInstanceOptions {
  /** The running sandbox, as listInstances found it. */
  listed: ListedInstance;
  stateRoot: string;
  /** Where its bundle is (`<bundleRoot>/<id>`), removed when it ends. */
  bundleRoot: string;
  outputDir: string;
  runscPath?: string;
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

/** An instance that can be let go of. */
export interface DetachedInstanceHandle extends InstanceHandle {
  /** Stops watching and reading its output; the sandbox keeps running (the next control plane adopts it). */
  release(): Promise<void>;
}

/** Starts the instance detached; throws like startInstance, or when runsc cannot create or start it. */
export async function startDetachedInstance(
  options: DetachedInstanceOptions,
): Promise<DetachedInstanceHandle> {
  const { spec, port } = renderInstanceSpec({ ...options, startupCpus: startupCpusOf(options) });
  const oomBefore = await readHostOomKills();
  const runscPath = options.runscPath ?? "runsc";
  const bundleDir = join(options.bundleRoot, options.id);
  const sandbox = await startDetachedSandbox({
    runscPath,
    stateRoot: options.stateRoot,
    bundleDir,
    outputDir: options.outputDir,
    id: options.id,
    spec,
    network: "sandbox",
  });
  return instanceHandle(sandbox, {
    boost: boostOf(options),
    ip: options.network.ip,
    port,
    oomBefore,
    bundleDir,
    runscPath,
    stateRoot: options.stateRoot,
    outputDir: options.outputDir,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
}

/** Watches a running instance a previous control plane started, and reads on from its output. */
export async function adoptInstance(options: AdoptInstanceOptions): Promise<DetachedInstanceHandle> {
  const { listed } = options;
  const runscPath = options.runscPath ?? "runsc";
  const sandbox = watchSandbox({
    stateRoot: options.stateRoot,
    id: listed.id,
    cgroupsPath: `/${listed.id}`,
    runscPath,
  });
  // A boost a previous control plane began has lost its timer: it ends now.
  if (listed.cpus !== undefined) await endStartupBoost(listed.id, listed.cpus);
  return instanceHandle(sandbox, {
    boost: undefined,
    ip: listed.ip,
    port: listed.port,
    oomBefore: await readHostOomKills(),
    bundleDir: join(options.bundleRoot, listed.id),
    runscPath,
    stateRoot: options.stateRoot,
    outputDir: options.outputDir,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
}

interface HandleFacts {
  /** The startup CPU boost; none when it started at its plan's CPUs, or was adopted. */
  boost: StartupBoost | undefined;
  ip: string;
  port: number;
  oomBefore: number | undefined;
  bundleDir: string;
  runscPath: string;
  stateRoot: string;
  outputDir: string;
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

function instanceHandle(sandbox: DetachedSandboxHandle, facts: HandleFacts): DetachedInstanceHandle {
  const files = sandboxOutputFiles(facts.outputDir, sandbox.id);
  const partial = { stdout: "", stderr: "" };
  const push = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const parts = (partial[stream] + chunk.toString()).split("\n");
    partial[stream] = parts.pop() ?? "";
    for (const line of parts) facts.onLine?.(stream, line);
  };
  const tails = [
    tailOutput({ file: files.out, onChunk: push("stdout") }),
    tailOutput({ file: files.err, onChunk: push("stderr") }),
  ];
  const exit = sandbox.wait().then(async (r) => {
    await Promise.all(tails.map((t) => t.finish()));
    for (const stream of ["stdout", "stderr"] as const)
      if (partial[stream] !== "") facts.onLine?.(stream, partial[stream]);
    const oomAfter = await readHostOomKills();
    const hostSawOom = facts.oomBefore === undefined || oomAfter === undefined || oomAfter > facts.oomBefore;
    await rm(facts.bundleDir, { recursive: true, force: true });
    await removeOutput(files.out);
    await removeOutput(files.err);
    const result: InstanceExit = {
      exitCode: r.exitCode,
      oomKilled: r.oomKilled && hostSawOom,
      durationMs: r.durationMs,
    };
    if (r.signal !== undefined) result.signal = r.signal;
    return result;
  });
  exit.catch(() => undefined);
  const stop = gracefulStop(
    exit,
    sandboxStopSteps({ runscPath: facts.runscPath, stateRoot: facts.stateRoot, sandbox }),
  );
  return {
    id: sandbox.id,
    ip: facts.ip,
    port: facts.port,
    wait: () => exit,
    stop: (o = {}) => stop(o.graceMs),
    started: async () => facts.boost?.end(),
    release: async () => {
      sandbox.release();
      await tails[0]?.release(Buffer.byteLength(partial.stdout));
      await tails[1]?.release(Buffer.byteLength(partial.stderr));
    },
  };
}
