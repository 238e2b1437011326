/**
 * The OCI runtime buildah runs Dockerfile RUN steps with: runsc (gVisor), through a small shell
 * wrapper written at build time. Debian 12's runsc (2022) can hang in `delete` waiting for its
 * gofer, which would fail (or stall) the build; the wrapper gives `delete` a few seconds and then
 * reports success. Container state lives in the build's own runsc root, removed after the build.
 */
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

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
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The wrapper script's text. Pure. */
export function runscWrapperScript(options: Omit<RunscWrapperOptions, "dir">): string {
  const runsc = `${quote(options.runscPath ?? "runsc")} --root ${quote(options.stateRoot)}`;
  const seconds = options.deleteTimeoutSeconds ?? 5;
  return `#!/bin/sh
# Written by Slipway (src/build/image/runsc-wrapper.ts) as buildah's --runtime.
# runsc delete may hang waiting for its gofer (Debian 12's runsc): bound it and report success.
for arg in "$@"; do
  if [ "$arg" = delete ]; then
    timeout -k 2 ${seconds} ${runsc} "$@"
    exit 0
  fi
done
exec ${runsc} "$@"
`;
}

/** Writes the wrapper (mode 0755) into `dir` and returns its path. */
export async function writeRunscWrapper(options: RunscWrapperOptions): Promise<string> {
  const path = join(options.dir, "runsc-wrapper.sh");
  await writeFile(path, runscWrapperScript(options));
  await chmod(path, 0o755);
  return path;
}
