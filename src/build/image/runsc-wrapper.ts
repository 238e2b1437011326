/**
 * The OCI runtime buildah runs Dockerfile RUN steps with: runsc (gVisor), through a small shell
 * wrapper written at build time. Debian 12's runsc (2022) can hang in `delete` waiting for its
 * gofer, which would fail (or stall) the build; the wrapper gives `delete` a few seconds and then
 * reports success. Container state lives in the build's own runsc root, removed after the build.
 *
 * With a network namespace (the builds network, ADR 0019), every RUN step is a new runsc
 * container in that one namespace. runsc moves the namespace's address into its own network stack
 * and removes it from the namespace, so before each `create`/`run` the wrapper puts the address
 * back; and it starts runsc with an empty tmpfs over /proc/sys/net in a private mount namespace,
 * which the 2022 runsc needs on Linux 6.x to accept a namespace that is not the host's (ADR 0012;
 * the namespace is made by the builds network, never the host's own).
 */
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The namespace RUN steps run in. */
export interface WrapperNetns {
  /** `/var/run/netns/<name>`. */
  path: string;
  /** The address of the namespace's `eth0`, `IP/PREFIX`. */
  address: string;
}

/** Options of {@link writeRunscWrapper}. */
export interface RunscWrapperOptions {
  /** Folder the script is written to. */
  dir: string;
  /** Default `runsc` (from PATH). */
  runscPath?: string;
  /** runsc's `--root` (its container state). */
  stateRoot: string;
  /** How long `runsc delete` may take, in seconds; default 5. */
  deleteTimeoutSeconds?: number;
  /** The namespace of buildah's `--network=ns:PATH`; default none (runsc's own empty network). */
  netns?: WrapperNetns;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function netnsLines(netns: WrapperNetns | undefined): string {
  if (netns === undefined) return "";
  const enter = `nsenter --net=${quote(netns.path)}`;
  const hide = 'mount -t tmpfs -o size=4k,mode=555 slipway-netns /proc/sys/net && exec "$0" "$@"';
  return `  if [ "$arg" = create ] || [ "$arg" = start ] || [ "$arg" = run ]; then
    ${enter} ip addr replace ${quote(netns.address)} dev eth0 || exit 1
    ${enter} ip link set eth0 up || exit 1
    exec unshare --mount --propagation private -- sh -c ${quote(hide)} "$RUNSC" "$@"
  fi
`;
}

/** The wrapper script's text. Pure. */
export function runscWrapperScript(options: Omit<RunscWrapperOptions, "dir">): string {
  const seconds = options.deleteTimeoutSeconds ?? 5;
  return `#!/bin/sh
# Written by Slipway (src/build/image/runsc-wrapper.ts) as buildah's --runtime.
RUNSC=${quote(options.runscPath ?? "runsc")}
# The sandbox makes its chroot under TMPDIR after dropping to an unprivileged user (all network
# modes but host): buildah's TMPDIR, inside the build's private 0700 folder, is out of its reach.
export TMPDIR=/tmp
# --overlay2=none: RUN steps write to buildah's container root itself (current runsc would keep
# their writes in an overlay of its own, and the layer would come out empty).
set -- --root ${quote(options.stateRoot)} --overlay2=none "$@"
for arg in "$@"; do
  # runsc delete may hang waiting for its gofer (Debian 12's runsc): bound it and report success.
  if [ "$arg" = delete ]; then
    timeout -k 2 ${seconds} "$RUNSC" "$@"
    exit 0
  fi
${netnsLines(options.netns)}done
exec "$RUNSC" "$@"
`;
}

/** Writes the wrapper (mode 0755) into `dir` and returns its path. */
export async function writeRunscWrapper(options: RunscWrapperOptions): Promise<string> {
  const path = join(options.dir, "runsc-wrapper.sh");
  await writeFile(path, runscWrapperScript(options));
  await chmod(path, 0o755);
  return path;
}
