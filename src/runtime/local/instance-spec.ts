/**
 * The sandbox configuration of an app instance (ADR 0012), pure so that what an instance sees is
 * tested without runsc: the stack read-only as root, the artifact's app tree read-only at its
 * workdir, a private /tmp (also HOME), the hosts file, `PORT`, and annotations that
 * `listInstances` reads back.
 */
import { type InstanceLimits, sandboxLimits } from "./instance-sizes.js";
import { type OciSpec, renderOciSpec, type SandboxMount } from "./oci-spec.js";

/** The parts of a build artifact (src/build's StoredArtifact) an instance needs. */
export interface InstanceArtifact {
  appDir: string;
  metadata: {
    id: string;
    runCommand?: string;
    httpPort?: number;
    workdir: string;
    env: Readonly<Record<string, string>>;
  };
}

/** What {@link renderInstanceSpec} needs (a part of StartInstanceOptions). */
export interface InstanceSpecInput {
  /** Sandbox id; also the cgroup's name. */
  id: string;
  artifact: InstanceArtifact;
  /** Root file system of the stack the artifact was built on; mounted read-only. */
  stackRootfs: string;
  /** Run-time env (RUN_TIME and RUN_AND_BUILD_TIME values); `PORT` and `HOME` are set by the runtime. */
  env?: Readonly<Record<string, string>>;
  /** CPUs and memory; host tasks and /tmp default to {@link sandboxLimits} of them. */
  size: Pick<InstanceLimits, "cpus" | "memoryMiB"> & Partial<Pick<InstanceLimits, "pidsLimit" | "tmpMiB">>;
  network: { netnsPath: string; ip: string };
  /** A generated hosts file (see renderHostsFile), mounted read-only at /etc/hosts. */
  hostsFile?: string;
  /** A resolv.conf for instances with egress, mounted read-only at /etc/resolv.conf. */
  resolvConf?: string;
  /** Stored on the sandbox as annotations; `listInstances` returns them. */
  labels?: Readonly<Record<string, string>>;
  /** Default the artifact's `httpPort`, else 8080. */
  port?: number;
  /** Default the artifact's `runCommand`; an instance needs one. */
  runCommand?: string;
  /** Default `instance`. */
  hostname?: string;
  /**
   * CPUs the sandbox starts with, above `size.cpus` during a startup boost (startup-boost.ts);
   * default `size.cpus`. The plan's CPUs are recorded in the annotation either way.
   */
  startupCpus?: number;
  /**
   * The artifact is an image (a Dockerfile build or a pulled image): its root file system is the
   * sandbox's root (read-only) instead of the stack with the app tree mounted, and it runs the
   * image's entrypoint + cmd unless a run command is given. Default: a stack artifact.
   */
  image?: {
    rootfs: string;
    args: readonly string[];
    workingDir: string;
    env: Readonly<Record<string, string>>;
  };
}

/** The annotation holding `{ip, port, artifact}`. */
export const INSTANCE_ANNOTATION = "dev.slipway.instance";
/** Each label `k` is stored as annotation `dev.slipway.label.k`. */
export const LABEL_ANNOTATION_PREFIX = "dev.slipway.label.";

/**
 * The config.json for the instance and the port it listens on. Throws when the artifact has no
 * run command (and none is given) or when renderOciSpec rejects a path or limit.
 */
export function renderInstanceSpec(options: InstanceSpecInput): { spec: OciSpec; port: number } {
  const { artifact, image } = options;
  const runCommand = options.runCommand ?? artifact.metadata.runCommand;
  if (runCommand === undefined && (image === undefined || image.args.length === 0))
    throw new Error(`artifact ${artifact.metadata.id} has no run command; set run_command on the component`);
  const port = options.port ?? artifact.metadata.httpPort ?? 8080;
  const size = { ...sandboxLimits(options.size.cpus, options.size.memoryMiB), ...options.size };
  const mounts: SandboxMount[] =
    image === undefined
      ? [{ source: artifact.appDir, destination: artifact.metadata.workdir, readonly: true }]
      : [];
  if (options.hostsFile !== undefined)
    mounts.push({ source: options.hostsFile, destination: "/etc/hosts", readonly: true });
  if (options.resolvConf !== undefined)
    mounts.push({ source: options.resolvConf, destination: "/etc/resolv.conf", readonly: true });
  const annotations: Record<string, string> = {
    [INSTANCE_ANNOTATION]: JSON.stringify({
      ip: options.network.ip,
      port,
      artifact: artifact.metadata.id,
      cpus: size.cpus,
    }),
  };
  for (const [key, value] of Object.entries(options.labels ?? {}))
    annotations[LABEL_ANNOTATION_PREFIX + key] = value;
  const spec = renderOciSpec({
    rootfs: image?.rootfs ?? options.stackRootfs,
    // The shell stays as the sandbox's first process; trapping TERM (a handler, not "ignore",
    // so the app still gets the default) keeps it alive while stop() lets the app drain. An
    // image without a run command runs its own entrypoint, which gets the signals itself.
    args:
      runCommand === undefined ? [...(image?.args ?? [])] : ["sh", "-c", `trap : TERM INT\n${runCommand}`],
    env: { ...(image?.env ?? artifact.metadata.env), ...options.env, HOME: "/tmp", PORT: String(port) },
    cwd: image?.workingDir ?? artifact.metadata.workdir,
    mounts,
    tmpfs: [{ destination: "/tmp", sizeMiB: size.tmpMiB }],
    memoryMiB: size.memoryMiB,
    cpus: options.startupCpus ?? size.cpus,
    pidsLimit: size.pidsLimit,
    hostname: options.hostname ?? "instance",
    netnsPath: options.network.netnsPath,
    cgroupsPath: `/${options.id}`,
    annotations,
  });
  return { spec, port };
}
