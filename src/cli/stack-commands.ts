/**
 * `slipway stack build [--root DIR] [--cache-dir DIR]` and `slipway stack list [--root DIR]
 * [-o table|json|yaml]`: manage the Debian root filesystems that builds and apps run on.
 */
import { parseArgs } from "node:util";
import { buildStack, createProcessRunner, listStacks } from "../build/index.js";
import { SlipwayError } from "../resources/index.js";
import { type CliIo, UsageError } from "./io.js";
import { outputFormat, printAs, printTable } from "./output.js";

/** Where stacks live unless `--root` says otherwise. */
export const DEFAULT_STACK_ROOT = "/var/lib/slipway/stacks";

/** Usage lines of the stack commands, for `slipway help`. */
export const STACK_USAGE = [
  "slipway stack build [--root DIR] [--cache-dir DIR]",
  "    Build the stack (debootstrap + runtimes; needs root, ~2 min) unless it exists (default root",
  `    ${DEFAULT_STACK_ROOT}); --cache-dir reuses or writes a tarball of it.`,
  "slipway stack list [--root DIR] [-o table|json|yaml]",
];

/** `slipway stack build`: builds (or reuses) the default stack and prints its folder. */
export async function stackBuild(io: CliIo, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { root: { type: "string" }, "cache-dir": { type: "string" } },
  });
  if (positionals.length > 0)
    throw new UsageError(`slipway stack build: unexpected argument "${positionals[0]}"`);
  if (process.getuid?.() !== 0)
    throw new SlipwayError(
      "failed_precondition",
      "slipway stack build: must run as root (debootstrap, chroot, mount)",
    );
  const cacheDir = values["cache-dir"];
  const result = await buildStack({
    root: values.root ?? DEFAULT_STACK_ROOT,
    run: createProcessRunner(),
    log: (line) => io.stderr(`${line}\n`),
    ...(cacheDir === undefined ? {} : { cacheDir }),
  });
  const { runtimes } = result.info;
  io.stdout(
    `${result.info.name} ${result.dir} (node ${runtimes.node}, python ${runtimes.python3}, go ${runtimes.go})\n`,
  );
  return 0;
}

/** `slipway stack list`: the stacks under the root, oldest first. Exit 1 if a stack.json is unreadable. */
export async function stackList(io: CliIo, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { root: { type: "string" }, output: { type: "string", short: "o" } },
  });
  if (positionals.length > 0)
    throw new UsageError(`slipway stack list: unexpected argument "${positionals[0]}"`);
  const format = outputFormat(values.output);
  if (format === undefined)
    throw new UsageError(`slipway stack list: -o must be table, json or yaml, got "${values.output}"`);
  const { stacks, problems } = await listStacks(values.root ?? DEFAULT_STACK_ROOT);
  printAs(io, format, stacks, () =>
    printTable(
      io,
      ["Name", "Created", "Size", "Node", "Python", "Go"],
      stacks.map((s) => [
        s.name,
        s.created_at,
        `${Math.round(s.size_bytes / 1_000_000)} MB`,
        s.runtimes.node,
        s.runtimes.python3,
        s.runtimes.go,
      ]),
    ),
  );
  for (const p of problems) io.stderr(`slipway stack list: ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}
