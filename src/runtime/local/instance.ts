/**
 * An app instance: a build artifact's run command in its own gVisor sandbox (ADR 0012), on the
 * read-only stack with the artifact's app tree mounted read-only at its workdir, a private tmpfs
 * at /tmp (also HOME), `PORT` set, in the network namespace its app network gave it, with the
 * app's hosts file. Annotations on the sandbox let `listInstances` find it after a restart.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { readHostOomKills } from "./cgroup-oom.js";
import { gracefulStop, sandboxStopSteps } from "./graceful-stop.js";
import {
  INSTANCE_ANNOTATION,
  type InstanceSpecInput,
  LABEL_ANNOTATION_PREFIX,
  renderInstanceSpec,
} from "./instance-spec.js";
import { lineSplitter } from "./line-splitter.js";
import { runBounded } from "./runsc-command.js";
import { type SandboxResult, startSandbox } from "./sandbox.js";
import { boostedCpus, type StartupBoost, startupBoost } from "./startup-boost.js";

/** Options of {@link startInstance}. */
export interface StartInstanceOptions extends InstanceSpecInput {
  /** runsc's state root (shared by the instances of one control plane). */
  stateRoot: string;
  /** Bundles go to `<bundleRoot>/<id>` (removed when the instance has ended). */
  bundleRoot: string;
  runscPath?: string;
  /** Each line the instance writes, without its newline. */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /** Start with more CPU until started() (startup-boost.ts). Default true. */
  startupBoost?: boolean;
}

/** How an instance ended. */
export interface InstanceExit {
  exitCode: number | null;
  signal?: NodeJS.Signals;
  oomKilled: boolean;
  durationMs: number;
}

/** A running instance. */
export interface InstanceHandle {
  id: string;
  /** Pid of `runsc run` on the host. */
  pid?: number;
  ip: string;
  port: number;
  /** Resolves once the instance has ended and its sandbox is deleted. */
  wait(): Promise<InstanceExit>;
  /** SIGTERM to every process inside, SIGKILL after `graceMs` (default 10 s); resolves at the end. */
  stop(options?: { graceMs?: number }): Promise<InstanceExit>;
  /**
   * The instance is ready: its startup CPU boost ends now instead of at the end of the window
   * (startup-boost.ts). Resolves once the plan's quota is in place (at once without a boost).
   */
  started(): Promise<void>;
}

/** One running instance found by {@link listInstances}. */
export interface ListedInstance {
  id: string;
  /** Pid of the sandbox (sentry) process. */
  pid: number;
  bundle: string;
  ip: string;
  port: number;
  artifactId: string;
  labels: Record<string, string>;
  /** The plan's CPUs (what a startup boost ends at); absent on sandboxes started before it was recorded. */
  cpus?: number;
}

/** Starts the instance; throws when the artifact has no run command or the bundle cannot be written. */
export async function startInstance(options: StartInstanceOptions): Promise<InstanceHandle> {
  const { spec, port } = renderInstanceSpec({ ...options, startupCpus: startupCpusOf(options) });
  const lines = lineSplitter(options.onLine);
  const oomBefore = await readHostOomKills();
  const runscPath = options.runscPath ?? "runsc";
  const bundleDir = join(options.bundleRoot, options.id);
  const sandbox = await startSandbox({
    runscPath,
    stateRoot: options.stateRoot,
    bundleDir,
    id: options.id,
    spec,
    network: "sandbox",
    onOutput: lines.push,
  });
  const exit = sandbox.wait().then(async (r) => {
    lines.flush();
    const oomAfter = await readHostOomKills();
    const hostSawOom = oomBefore === undefined || oomAfter === undefined || oomAfter > oomBefore;
    await rm(bundleDir, { recursive: true, force: true });
    return toExit({ ...r, oomKilled: r.oomKilled && hostSawOom });
  });
  exit.catch(() => undefined);
  const boost = boostOf(options);
  const stop = gracefulStop(exit, sandboxStopSteps({ runscPath, stateRoot: options.stateRoot, sandbox }));
  const handle: InstanceHandle = {
    id: options.id,
    ip: options.network.ip,
    port,
    wait: () => exit,
    stop: (o = {}) => stop(o.graceMs),
    started: async () => boost?.end(),
  };
  if (sandbox.pid !== undefined) handle.pid = sandbox.pid;
  return handle;
}

/** The CPUs a sandbox starts with: boosted unless `startupBoost` is false. */
export function startupCpusOf(options: Pick<StartInstanceOptions, "size" | "startupBoost">): number {
  return options.startupBoost === false ? options.size.cpus : boostedCpus(options.size.cpus);
}

/** The boost of an instance started at {@link startupCpusOf}; none when that is the plan's CPUs. */
export function boostOf(
  options: Pick<StartInstanceOptions, "id" | "size" | "startupBoost">,
): StartupBoost | undefined {
  const planCpus = options.size.cpus;
  return startupCpusOf(options) === planCpus ? undefined : startupBoost(options.id, planCpus);
}

function toExit(result: SandboxResult): InstanceExit {
  const exit: InstanceExit = {
    exitCode: result.exitCode,
    oomKilled: result.oomKilled,
    durationMs: result.durationMs,
  };
  if (result.signal !== undefined) exit.signal = result.signal;
  return exit;
}

/**
 * The running instances under `stateRoot`, from `runsc list --format=json` and the annotations
 * `startInstance` put on them; sandboxes that are not instances are left out.
 */
export async function listInstances(stateRoot: string, runscPath = "runsc"): Promise<ListedInstance[]> {
  const listed = await runBounded(runscPath, ["--root", stateRoot, "list", "--format=json"], 10_000);
  if (listed.code !== 0)
    throw new Error(`runsc list under ${stateRoot} failed: ${listed.stderr.trim() || "timed out"}`);
  const text = listed.stdout.trim();
  const entries = (text === "" || text === "null" ? [] : JSON.parse(text)) as {
    id: string;
    status: string;
    pid: number;
    bundle: string;
    annotations?: Record<string, string>;
  }[];
  const found: ListedInstance[] = [];
  for (const entry of entries) {
    const own = entry.annotations?.[INSTANCE_ANNOTATION];
    if (entry.status !== "running" || own === undefined) continue;
    const facts = JSON.parse(own) as { ip: string; port: number; artifact: string; cpus?: number };
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(entry.annotations ?? {}))
      if (key.startsWith(LABEL_ANNOTATION_PREFIX)) labels[key.slice(LABEL_ANNOTATION_PREFIX.length)] = value;
    found.push({
      id: entry.id,
      pid: entry.pid,
      bundle: entry.bundle,
      ip: facts.ip,
      port: facts.port,
      artifactId: facts.artifact,
      labels,
      ...(typeof facts.cpus === "number" ? { cpus: facts.cpus } : {}),
    });
  }
  return found;
}
