/**
 * The steps of a stack build that run commands: each one logged, each failure named, and the
 * mounts a chroot needs always undone.
 */
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import type { RunCommand } from "./process-runner.js";

/** A failed step of a stack build: which step, and the tail of what it printed. */
export class StackBuildError extends SlipwayError {
  readonly step: string;
  readonly outputTail: string;

  constructor(step: string, detail: string, outputTail: string, cause?: unknown) {
    const tail = outputTail.trim() === "" ? "" : `\n--- last lines of output ---\n${outputTail.trimEnd()}`;
    super("internal", `stack build failed at step "${step}": ${detail}${tail}`, { cause });
    this.name = "StackBuildError";
    this.step = step;
    this.outputTail = outputTail;
  }
}

/** What the steps need: the runner, the log and the environment of every command. */
export interface StepContext {
  run: RunCommand;
  log: (line: string) => void;
  env: Readonly<Record<string, string>>;
}

/** The environment of build commands: a fixed PATH and locale, apt without questions. */
export const BUILD_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C",
  HOME: "/root",
  DEBIAN_FRONTEND: "noninteractive",
});

/** The last `lines` lines of `text`. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs one named step; throws StackBuildError with the output's tail when it fails. Returns its output. */
export async function step(
  ctx: StepContext,
  name: string,
  command: string,
  args: readonly string[],
): Promise<string> {
  ctx.log(`stack: ${name}: ${command} ${args.join(" ")}`);
  let result: { code: number; output: string };
  try {
    result = await ctx.run(command, args, { env: ctx.env });
  } catch (err) {
    throw new StackBuildError(
      name,
      `could not start ${command}: ${err instanceof Error ? err.message : String(err)}`,
      "",
      err,
    );
  }
  if (result.code !== 0)
    throw new StackBuildError(name, `${command} exited with code ${result.code}`, tail(result.output));
  return result.output;
}

/** The file systems apt needs inside the chroot, in mount order. */
const CHROOT_MOUNTS = [
  { dir: "proc", args: ["-t", "proc", "proc"] },
  { dir: "sys", args: ["-t", "sysfs", "sysfs"] },
  { dir: "dev", args: ["--bind", "/dev"] },
] as const;

/**
 * Mounts proc, sys and dev into `rootfs`, runs `body`, and unmounts whatever was mounted, in
 * reverse order, whether `body` succeeded or not. A failed unmount fails the build unless
 * `body` already failed (then it is logged and the first error wins).
 */
export async function withChrootMounts(
  ctx: StepContext,
  rootfs: string,
  body: () => Promise<void>,
): Promise<void> {
  const mounted: string[] = [];
  let failure: unknown;
  try {
    for (const m of CHROOT_MOUNTS) {
      const target = join(rootfs, m.dir);
      await step(ctx, `mount ${m.dir}`, "mount", [...m.args, target]);
      mounted.push(target);
    }
    await body();
  } catch (err) {
    failure = err;
  }
  for (const target of mounted.reverse()) {
    try {
      await step(ctx, "unmount", "umount", [target]);
    } catch (err) {
      if (failure === undefined) failure = err;
      else ctx.log(`stack: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * Removes a stack folder that may hold a crashed build: first unmounts anything still mounted
 * at the chroot mount points, then `rm -rf --one-file-system`, which never descends into a
 * mount (so a bind-mounted /dev that failed to unmount is never emptied).
 */
export async function removeStackTree(ctx: StepContext, dir: string): Promise<void> {
  for (const m of [...CHROOT_MOUNTS].reverse()) {
    const target = join(dir, "rootfs", m.dir);
    const probe = await ctx.run("mountpoint", ["-q", target], { env: ctx.env });
    if (probe.code === 0) await step(ctx, "unmount leftover", "umount", ["--lazy", target]);
  }
  await step(ctx, "remove", "rm", ["-rf", "--one-file-system", dir]);
}
