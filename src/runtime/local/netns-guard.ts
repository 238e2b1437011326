/**
 * What `runsc --network=sandbox` needs on current kernels (ADR 0012). runsc refuses to take over a
 * namespace it thinks is the host's, and Debian's 2022 runsc thinks so whenever
 * `/proc/sys/net/core/rmem_default` exists, which since Linux 6.x it does in every namespace
 * (newer runsc checks `dev_weight`). So `runsc run` starts in a private mount namespace with an
 * empty tmpfs over /proc/sys/net (one over /proc/sys/net/core is not seen from other network
 * namespaces, whose sysctl entries are other dentries), and the check that mattered, that the
 * namespace is not the host's (runsc removes the addresses it copies), is done here instead.
 */
import { stat } from "node:fs/promises";

/** Throws when `netnsPath` is missing or is this process's (the host's) network namespace. */
export async function assertNotHostNetns(netnsPath: string | undefined): Promise<void> {
  if (netnsPath === undefined)
    throw new Error("network sandbox needs the spec's netnsPath (a namespace made for the instance)");
  const [target, own] = await Promise.all([
    stat(netnsPath).catch((err: unknown) => {
      throw new Error(`network namespace ${netnsPath} cannot be read; create it first`, { cause: err });
    }),
    stat("/proc/self/ns/net"),
  ]);
  if (target.ino === own.ino && target.dev === own.dev)
    throw new Error(`network namespace ${netnsPath} is the host's; refusing to hand it to runsc`);
}

/** `file args…` run through `unshare` with runsc's root-namespace check hidden (see above). */
export function hideRootNetnsCheck(file: string, args: readonly string[]): [string, string[]] {
  const script = 'mount -t tmpfs -o size=4k,mode=555 slipway-netns /proc/sys/net && exec "$0" "$@"';
  return ["unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script, file, ...args]];
}
