/**
 * The JobRunner of `slipway server` on one machine (ADR 0025): one job invocation is one gVisor
 * sandbox (runtime/local startInstance) started from the job's artifact of the invocation's
 * Deployment, exactly as an instance of the app would be — same stack or image root, env resolved
 * the same way (secrets decrypted, bindable variables filled), same instance size, a place in the
 * app's network (egress as the app's instances have it) and a hosts file naming the app's
 * running components, so a migration reaches `db` or `api` by name. Unlike an instance it is not
 * supervised: it runs once, its output lines go to the invocation's log, and its exit code is
 * the result. An abort (timeout, cancel, shutdown) stops it: SIGTERM, SIGKILL after the job's
 * termination grace period.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { readAnyArtifact } from "../build/index.js";
import {
  ControlPlaneStopping,
  type JobRunner,
  type JobRunRequest,
  type JobRunResult,
} from "../controllers/index.js";
import { DEPLOYMENT_KIND, type Deployment, type Instance, LABELS } from "../resources/index.js";
import {
  type AppNetworkHost,
  type InstanceExit,
  instanceLimits,
  renderHostsFile,
  startInstance,
} from "../runtime/local/index.js";
import type { Keyring } from "../secrets/index.js";
import type { JobSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";
import { deploymentEnv } from "./deployment-env.js";
import { instanceArtifact } from "./local-instance-driver.js";
import { plainSpec } from "./plain-spec.js";

/** Options of {@link createLocalJobRunner}. */
export interface LocalJobRunnerOptions {
  store: Store;
  network: AppNetworkHost;
  /** Where artifacts are (`<root>/<id>/`). */
  artifactsRoot: string;
  /** The stack's root file system by stack version (from the artifact's metadata). */
  stackRootfs: (version: string) => Promise<string>;
  /** Holds runsc state, bundles and generated hosts files (shared with the instance driver). */
  workRoot: string;
  secrets?: Keyring;
  /** Apps are at `<app>.<baseDomain>`. */
  baseDomain: string;
  tls: boolean;
}

/** DO's default termination grace period of a job (reference 1.8). */
const DEFAULT_GRACE_SECONDS = 120;

/** The grace period at server shutdown, as the instances get (the run is FAILED as interrupted). */
const SHUTDOWN_GRACE_MS = 5000;

/** The addresses of the app's running instances by component, the job's own deployment first. */
async function peers(store: Store, deployment: Deployment): Promise<{ name: string; ip: string }[]> {
  const namespace = deployment.metadata.namespace;
  const { items } = await store.list<Instance>("Instance", {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.app}=${deployment.spec.app}`,
  });
  const mine = items.filter((i) => i.spec.appUid === deployment.spec.appUid && i.spec.draining !== true);
  const own = (i: Instance) => Number(i.spec.deployment === deployment.metadata.name);
  mine.sort((a, b) => own(b) - own(a));
  const out: { name: string; ip: string }[] = [];
  for (const i of mine) {
    const ip = i.status?.address;
    if (ip === undefined || out.some((e) => e.name === i.spec.component && e.ip === ip)) continue;
    out.push({ name: i.spec.component, ip });
  }
  return out;
}

/** An exit code for an exit: a signal is 128 + its number, as a shell reports it. */
function exitCodeOf(exit: InstanceExit): number {
  if (exit.exitCode !== null) return exit.exitCode;
  const number = exit.signal === undefined ? undefined : constants.signals[exit.signal];
  return 128 + (number ?? 9);
}

/** What the invocation runs: its Deployment, the job's spec (secrets in plaintext) and artifact id. */
async function jobOf(options: LocalJobRunnerOptions, request: JobRunRequest) {
  const { invocation } = request;
  const namespace = invocation.metadata.namespace;
  const deployment = await options.store.get<Deployment>(DEPLOYMENT_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    name: invocation.spec.deployment,
  });
  const spec = plainSpec(deployment, options.secrets);
  const job: JobSpec | undefined = spec.jobs?.find((j) => j.name === invocation.spec.job);
  if (job === undefined)
    throw new Error(`deployment ${deployment.metadata.name} has no job named ${invocation.spec.job}`);
  const artifactId = deployment.status?.artifacts?.[job.name];
  if (artifactId === undefined || artifactId === "")
    throw new Error(`deployment ${deployment.metadata.name} has no built artifact for job ${job.name}`);
  return { deployment, spec, job, artifactId };
}

/** The local runner. */
export function createLocalJobRunner(options: LocalJobRunnerOptions): JobRunner {
  const stateRoot = join(options.workRoot, "state");
  const bundleRoot = join(options.workRoot, "bundles");
  const hostsRoot = join(options.workRoot, "hosts");
  return {
    async run(request): Promise<JobRunResult> {
      const { invocation, signal, log } = request;
      const { deployment, spec, job, artifactId } = await jobOf(options, request);
      const stored = await readAnyArtifact(options.artifactsRoot, artifactId);
      if (stored === undefined)
        throw new Error(`artifact ${artifactId} of job ${job.name} is not on this machine`);
      const { artifact, image, stackVersion } = instanceArtifact(stored, job);
      const env = deploymentEnv(
        deployment,
        spec,
        { kind: "job", name: job.name },
        artifact.metadata.env,
        options,
      );
      const size = instanceLimits(job.instance_size_slug);
      const stackRootfs = image?.rootfs ?? (await options.stackRootfs(stackVersion ?? ""));
      signal.throwIfAborted();
      // Sandbox ids name cgroups, which are machine-wide: a random suffix keeps two servers apart.
      const id = `${invocation.metadata.name.replaceAll(".", "-")}-${randomBytes(3).toString("hex")}`;
      await options.network.ensureApp(deployment.spec.appUid);
      const net = await options.network.attach(deployment.spec.appUid);
      const hostsFile = join(hostsRoot, id);
      try {
        await options.network.reset(net);
        await mkdir(hostsRoot, { recursive: true });
        await writeFile(hostsFile, renderHostsFile(await peers(options.store, deployment).catch(() => [])));
        const handle = await startInstance({
          id,
          artifact,
          stackRootfs,
          ...(image === undefined ? {} : { image }),
          ...(job.run_command === undefined ? {} : { runCommand: job.run_command }),
          env,
          size,
          network: { netnsPath: net.netnsPath, ip: net.ip },
          hostsFile,
          labels: { job: job.name, invocation: invocation.metadata.name, app: deployment.spec.app },
          stateRoot,
          bundleRoot,
          onLine: (_stream, line) => log(line),
        });
        const graceMs = () =>
          signal.reason instanceof ControlPlaneStopping
            ? SHUTDOWN_GRACE_MS
            : (job.termination?.grace_period_seconds ?? DEFAULT_GRACE_SECONDS) * 1000;
        const stop = () => void handle.stop({ graceMs: graceMs() }).catch(() => undefined);
        signal.addEventListener("abort", stop, { once: true });
        if (signal.aborted) stop();
        try {
          return { exitCode: exitCodeOf(await handle.wait()) };
        } finally {
          signal.removeEventListener("abort", stop);
        }
      } finally {
        await options.network.detach(net.netns).catch(() => undefined);
        await rm(hostsFile, { force: true });
      }
    },
  };
}
