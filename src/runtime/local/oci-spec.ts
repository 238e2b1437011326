/**
 * Renders the OCI runtime configuration (`config.json`) for one gVisor sandbox: a read-only root,
 * the given mounts and tmpfs, minimal capabilities, and CPU, memory and pids limits. Pure, so the
 * rendered document is snapshot-tested; `sandbox.ts` writes it into the bundle.
 */
import { isAbsolute } from "node:path";

/** A host directory or file shown inside the sandbox. */
export interface SandboxMount {
  /** Absolute host path. */
  source: string;
  /** Absolute path inside the sandbox. */
  destination: string;
  readonly: boolean;
}

/** A private, writable in-memory file system inside the sandbox. */
export interface SandboxTmpfs {
  destination: string;
  sizeMiB: number;
}

/** Input of {@link renderOciSpec}. */
export interface OciSpecInput {
  /** Absolute path of the root file system on the host. */
  rootfs: string;
  /** Default true: the root file system is mounted read-only. */
  readonlyRoot?: boolean;
  args: readonly string[];
  /** Environment; `PATH` defaults to the usual system path when absent. */
  env?: Readonly<Record<string, string>>;
  /** Default `/`. */
  cwd?: string;
  /** Default none. */
  mounts?: readonly SandboxMount[];
  /** Default none. */
  tmpfs?: readonly SandboxTmpfs[];
  memoryMiB: number;
  /** May be fractional (0.5 = half a CPU). */
  cpus: number;
  /**
   * Host tasks in the sandbox's cgroup: the sentry's and gofer's threads (~60) plus, on the
   * ptrace platform, one per process inside. Below ~128 the sentry may fail to start (exit 2).
   */
  pidsLimit: number;
  /** Default `sandbox`. */
  hostname?: string;
  /** A network namespace to join (e.g. `/var/run/netns/app-1`); default a fresh, empty one. */
  netnsPath?: string;
  /**
   * Default false. True leaves out the network namespace, so that under `runsc --network=host`
   * the sandbox uses the host's network (with a fresh namespace it would have no route at all).
   * Cannot be combined with `netnsPath`.
   */
  hostNetwork?: boolean;
  /** The cgroup the sandbox is placed in; runsc creates it and applies the limits. */
  cgroupsPath: string;
  /** Default 0 (root inside the sandbox, which is not root on the host). */
  uid?: number;
  /** Default `uid`. */
  gid?: number;
  /** Open files per process; default 1024. */
  nofile?: number;
  /** OCI annotations; `runsc list --format=json` shows them, so a restarted caller can find its sandboxes. */
  annotations?: Readonly<Record<string, string>>;
}

/** One entry of an OCI `mounts` list. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** The subset of the OCI runtime spec that Slipway writes. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<"bounding" | "effective" | "permitted", string[]>;
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: {
      memory: { limit: number; swap: number };
      cpu: { quota: number; period: number };
      pids: { limit: number };
    };
  };
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const CPU_PERIOD_US = 100_000;
/** Enough to bind a low port and signal its own children; nothing that reaches the host. */
const CAPABILITIES = ["CAP_KILL", "CAP_NET_BIND_SERVICE"];

/**
 * Renders the config.json object for {@link OciSpecInput}. Throws on inputs that are bugs in the
 * caller: relative paths, limits that are not positive, or an empty `args`. The only host paths
 * in the result are `rootfs` and the sources of `mounts`; `/proc`, `/dev` and `/sys` are the
 * sandbox's own.
 */
export function renderOciSpec(input: OciSpecInput): OciSpec {
  checkInput(input);
  const uid = input.uid ?? 0;
  const memory = input.memoryMiB * 1024 * 1024;
  const spec: OciSpec = {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid, gid: input.gid ?? uid },
      args: [...input.args],
      env: renderEnv(input.env ?? {}),
      cwd: input.cwd ?? "/",
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: input.nofile ?? 1024, soft: input.nofile ?? 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: input.readonlyRoot ?? true },
    hostname: input.hostname ?? "sandbox",
    mounts: renderMounts(input),
    linux: {
      namespaces: renderNamespaces(input),
      cgroupsPath: input.cgroupsPath,
      resources: {
        memory: { limit: memory, swap: memory },
        cpu: { quota: Math.round(input.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US },
        pids: { limit: input.pidsLimit },
      },
    },
  };
  if (input.annotations !== undefined) spec.annotations = { ...input.annotations };
  return spec;
}

function checkInput(input: OciSpecInput): void {
  const paths = [
    ["rootfs", input.rootfs],
    ["cwd", input.cwd ?? "/"],
    ...(input.mounts ?? []).flatMap((m, i) => [
      [`mounts[${i}].source`, m.source],
      [`mounts[${i}].destination`, m.destination],
    ]),
    ...(input.tmpfs ?? []).map((t, i) => [`tmpfs[${i}].destination`, t.destination]),
  ];
  for (const [field, path] of paths) {
    if (!path || !isAbsolute(path))
      throw new Error(`renderOciSpec: ${field} must be an absolute path, got ${JSON.stringify(path)}`);
  }
  const positive = [
    ["memoryMiB", input.memoryMiB],
    ["cpus", input.cpus],
    ["pidsLimit", input.pidsLimit],
    ...(input.tmpfs ?? []).map((t, i) => [`tmpfs[${i}].sizeMiB`, t.sizeMiB] as const),
  ] as const;
  for (const [field, value] of positive) {
    if (!(value > 0)) throw new Error(`renderOciSpec: ${field} must be positive, got ${value}`);
  }
  if (input.args.length === 0) throw new Error("renderOciSpec: args must not be empty");
  if (input.hostNetwork && input.netnsPath !== undefined) {
    throw new Error("renderOciSpec: hostNetwork and netnsPath cannot be combined");
  }
}

function renderEnv(env: Readonly<Record<string, string>>): string[] {
  const all: Record<string, string> = { PATH: DEFAULT_PATH, ...env };
  return Object.entries(all)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
}

function renderMounts(input: OciSpecInput): OciMount[] {
  const standard: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  ];
  const tmpfs = (input.tmpfs ?? []).map(
    (t): OciMount => ({
      destination: t.destination,
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "nodev", "mode=1777", `size=${t.sizeMiB}m`],
    }),
  );
  const binds = (input.mounts ?? []).map(
    (m): OciMount => ({
      destination: m.destination,
      type: "bind",
      source: m.source,
      options: ["rbind", m.readonly ? "ro" : "rw", "nosuid", "nodev"],
    }),
  );
  return [...standard, ...tmpfs, ...binds];
}

function renderNamespaces(input: OciSpecInput): OciSpec["linux"]["namespaces"] {
  const path = input.netnsPath;
  const network = input.hostNetwork
    ? []
    : [path === undefined ? { type: "network" } : { type: "network", path }];
  return [{ type: "pid" }, ...network, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
}
