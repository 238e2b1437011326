/**
 * The `bwrap` command line for an OCI spec (the same config.json an instance gets under gVisor),
 * for machines where runsc cannot run (ADR 0027). The root is bwrap's own empty tmpfs, filled
 * with read-only binds of each top-level entry of the spec's root (and of each entry of its /etc),
 * then remounted read-only: a bind over the stack itself would make bwrap create mount points
 * (/etc/hosts, the workdir) inside the shared stack on the host. Pure; the listing is read by the
 * caller (`listRoot`).
 */
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { OciSpec } from "./oci-spec.js";

/** One entry of a directory of the root file system. */
export interface RootEntry {
  name: string;
  /** The link's target when the entry is a symbolic link. */
  symlink?: string;
}

/** The top level and /etc of a root file system. */
export interface RootListing {
  top: RootEntry[];
  etc: RootEntry[];
}

/** The sandbox's own file systems, never taken from the root. */
const OWN = new Set(["proc", "dev", "sys", "etc"]);

/**
 * `bwrap` arguments running `spec.process.args` with the spec's root, mounts, tmpfs, cwd, env,
 * hostname and capabilities, in new pid, ipc, uts and cgroup namespaces. The network namespace is
 * the caller's (it enters the instance's namespace before bwrap starts); limits are a cgroup the
 * caller owns. Not carried over: `/sys` (left out entirely) and `RLIMIT_NOFILE`.
 */
export function renderBwrapArgs(spec: OciSpec, listing: RootListing): string[] {
  const root = spec.root.path;
  const args: string[] = [];
  const place = (entry: RootEntry, source: string, destination: string) => {
    if (entry.symlink !== undefined) args.push("--symlink", entry.symlink, destination);
    else args.push("--ro-bind", source, destination);
  };
  for (const entry of listing.top)
    if (!OWN.has(entry.name)) place(entry, join(root, entry.name), `/${entry.name}`);
  args.push("--dir", "/etc");
  for (const entry of listing.etc) place(entry, join(root, "etc", entry.name), `/etc/${entry.name}`);
  args.push("--proc", "/proc", "--dev", "/dev");
  for (const mount of spec.mounts) {
    if (mount.type === "tmpfs" && mount.destination !== "/dev") {
      const size = /^size=(\d+)m$/.exec(mount.options?.find((o) => o.startsWith("size=")) ?? "")?.[1];
      if (size !== undefined) args.push("--size", String(Number(size) * 1024 * 1024));
      args.push("--perms", "1777", "--tmpfs", mount.destination);
    } else if (mount.type === "bind") {
      const readonly = mount.options?.includes("ro") ?? false;
      args.push(readonly ? "--ro-bind" : "--bind", mount.source, mount.destination);
    }
  }
  if (spec.root.readonly) args.push("--remount-ro", "/");
  args.push("--chdir", spec.process.cwd);
  args.push("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try");
  args.push("--hostname", spec.hostname, "--die-with-parent", "--new-session");
  args.push("--cap-drop", "ALL");
  for (const cap of spec.process.capabilities.bounding) args.push("--cap-add", cap);
  args.push("--clearenv");
  for (const pair of spec.process.env) {
    const at = pair.indexOf("=");
    args.push("--setenv", pair.slice(0, at), pair.slice(at + 1));
  }
  args.push("--", ...spec.process.args);
  return args;
}

/** Reads the listing {@link renderBwrapArgs} needs from the root file system at `rootfs`. */
export async function listRoot(rootfs: string): Promise<RootListing> {
  const read = async (dir: string): Promise<RootEntry[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const out: RootEntry[] = [];
    for (const e of entries)
      out.push(
        e.isSymbolicLink() ? { name: e.name, symlink: await readlink(join(dir, e.name)) } : { name: e.name },
      );
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  return { top: await read(rootfs), etc: await read(join(rootfs, "etc")) };
}
