/**
 * Builds a stack: `debootstrap` a Debian root filesystem, install the runtimes with apt inside
 * a chroot, record what was built in `stack.json`, make the tree read-only, and publish it with
 * one atomic rename. See docs/adr/0005-stack.md.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SlipwayError } from "../../resources/index.js";
import type { RunCommand } from "./process-runner.js";
import { readStackInfo } from "./read-stack-info.js";
import { restoreFromCache, writeCache } from "./stack-cache.js";
import {
  checkStackDefinition,
  DEFAULT_STACK,
  type StackDefinition,
  stackName,
  stackVersion,
} from "./stack-definition.js";
import type { StackInfo, StackRuntimes } from "./stack-info.js";
import {
  BUILD_ENV,
  removeStackTree,
  StackBuildError,
  type StepContext,
  step,
  withChrootMounts,
} from "./stack-steps.js";

/** Options of buildStack. */
export interface BuildStackOptions {
  /** Folder holding one sub-folder per stack version, e.g. `/var/lib/slipway/stacks`. */
  root: string;
  /** What to build; default DEFAULT_STACK. */
  definition?: StackDefinition;
  /** Runs a command (see createProcessRunner); injected so the sequence is testable. */
  run: RunCommand;
  /** Receives one line per step and per notable event. */
  log: (line: string) => void;
  /** Folder of cached stack tarballs; default none. Used when present, never required. */
  cacheDir?: string;
  /** Debian mirror for debootstrap; default `http://deb.debian.org/debian`. */
  mirror?: string;
  /** Clock for `created_at`; default the system clock. */
  now?: () => Date;
}

/** A ready stack: its metadata, folder, root filesystem, and where it came from. */
export interface BuildStackResult {
  info: StackInfo;
  dir: string;
  rootfs: string;
  source: "existing" | "cache" | "built";
}

/**
 * Makes sure the stack of `definition` exists under `root` and returns it. An existing complete
 * stack is reused untouched; else one is restored from `cacheDir` or built. A failed build
 * leaves no `<name>.tmp` behind and throws StackBuildError naming the step. Needs root.
 * Two builds of the same version under one root at once are not supported.
 */
export async function buildStack(options: BuildStackOptions): Promise<BuildStackResult> {
  const definition = options.definition ?? DEFAULT_STACK;
  const problems = checkStackDefinition(definition);
  if (problems.length > 0)
    throw new SlipwayError("invalid_argument", "invalid stack definition", {
      details: problems.map((message) => ({ path: "", message })),
    });
  const name = stackName(definition);
  const dir = join(options.root, name);
  const ctx: StepContext = { run: options.run, log: options.log, env: BUILD_ENV };
  const existing = await existingStack(dir);
  if (existing !== undefined) {
    ctx.log(`stack: ${name} already exists in ${options.root}`);
    return { info: existing, dir, rootfs: join(dir, "rootfs"), source: "existing" };
  }
  await mkdir(options.root, { recursive: true });
  const tmp = `${dir}.tmp`;
  await removeStackTree(ctx, tmp);
  let made: { info: StackInfo; source: "cache" | "built" };
  try {
    const cached =
      options.cacheDir === undefined ? undefined : await restoreFromCache(ctx, options.cacheDir, name, tmp);
    made =
      cached !== undefined
        ? { info: cached, source: "cache" }
        : { info: await buildInto(ctx, tmp, options, definition), source: "built" };
    await rename(tmp, dir);
  } catch (err) {
    await removeStackTree(ctx, tmp).catch((e: unknown) =>
      ctx.log(`stack: cleanup of ${tmp} failed: ${String(e)}`),
    );
    throw err;
  }
  ctx.log(`stack: ${name} ready in ${dir} (${made.source})`);
  if (made.source === "built" && options.cacheDir !== undefined)
    await writeCache(ctx, options.cacheDir, name, dir);
  return { info: made.info, dir, rootfs: join(dir, "rootfs"), source: made.source };
}

/** The info of a complete stack in `dir`, undefined if there is none; throws if `dir` is not a stack. */
async function existingStack(dir: string): Promise<StackInfo | undefined> {
  const info = await readStackInfo(dir).catch((err: unknown) => {
    throw new SlipwayError(
      "failed_precondition",
      `${dir} is not a usable stack (${String(err)}); remove it and build again`,
    );
  });
  if (info !== undefined) return info;
  const there = await stat(dir).then(
    () => true,
    () => false,
  );
  if (there)
    throw new SlipwayError(
      "failed_precondition",
      `${dir} exists but has no stack.json; remove it and build again`,
    );
  return undefined;
}

/** Builds the stack into the empty folder `tmp` and returns the info written to its stack.json. */
async function buildInto(
  ctx: StepContext,
  tmp: string,
  options: BuildStackOptions,
  def: StackDefinition,
): Promise<StackInfo> {
  const rootfs = join(tmp, "rootfs");
  await mkdir(tmp);
  await step(ctx, "debootstrap", "debootstrap", [
    `--variant=${def.variant}`,
    def.suite,
    rootfs,
    options.mirror ?? "http://deb.debian.org/debian",
  ]);
  await withChrootMounts(ctx, rootfs, async () => {
    await step(ctx, "apt-get update", "chroot", [rootfs, "apt-get", "update"]);
    await step(ctx, "apt-get install", "chroot", [
      rootfs,
      "apt-get",
      "install",
      "-y",
      "--no-install-recommends",
      ...def.packages,
    ]);
    await step(ctx, "apt-get clean", "chroot", [rootfs, "apt-get", "clean"]);
  });
  await removeAptCaches(rootfs);
  const info: StackInfo = {
    name: stackName(def),
    version: stackVersion(def),
    definition: { suite: def.suite, variant: def.variant, packages: [...def.packages] },
    created_at: (options.now ?? (() => new Date()))().toISOString(),
    size_bytes: await measure(ctx, rootfs),
    runtimes: await readRuntimes(ctx, rootfs),
    rootfs: "rootfs",
  };
  await writeFile(join(tmp, "stack.json"), `${JSON.stringify(info, null, 2)}\n`);
  // Mode bits only: root ignores them. Runtimes must also mount the rootfs read-only (ADR 0005).
  await step(ctx, "make read-only", "chmod", ["-R", "a-w", tmp]);
  return info;
}

/** Empties apt's package lists and caches (apt recreates them; a stack never runs apt again). */
async function removeAptCaches(rootfs: string): Promise<void> {
  for (const sub of ["var/lib/apt/lists", "var/cache/apt"]) {
    const dir = join(rootfs, sub);
    const entries = await readdir(dir).catch(() => []);
    for (const entry of entries)
      if (entry !== "partial") await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** `du -sb` of the root filesystem, in bytes. */
async function measure(ctx: StepContext, rootfs: string): Promise<number> {
  const output = await step(ctx, "measure size", "du", ["-sb", rootfs]);
  const bytes = Number.parseInt(output.trim().split(/\s+/)[0] ?? "", 10);
  if (!Number.isFinite(bytes)) throw new StackBuildError("measure size", "du printed no size", output);
  return bytes;
}

/** Asks the runtimes inside the chroot for their versions. */
async function readRuntimes(ctx: StepContext, rootfs: string): Promise<StackRuntimes> {
  const ask = async (what: string, args: string[], pattern: RegExp): Promise<string> => {
    const output = await step(ctx, `${what} version`, "chroot", [rootfs, ...args]);
    const found = pattern.exec(output)?.[1];
    if (found === undefined) throw new StackBuildError(`${what} version`, `no version in the output`, output);
    return found;
  };
  return {
    node: await ask("node", ["node", "--version"], /(v\d+\.\d+\.\d+)/),
    python3: await ask("python3", ["python3", "--version"], /Python (\d+\.\d+\.\d+)/),
    go: await ask("go", ["go", "version"], /go(\d+\.\d+(?:\.\d+)?)/),
  };
}
