/**
 * The `slipway` command line: dispatches to a command and returns its exit code.
 * 0 success, 1 the command ran and failed (e.g. an invalid spec), 2 a usage error.
 */

import { SlipwayError } from "../resources/index.js";
import { appSpecJsonSchema } from "../spec/index.js";
import { APPS_USAGE, appsCommand } from "./apps-commands.js";
import { authInit, authList, authSwitch } from "./auth-commands.js";
import { CA_USAGE, caExport } from "./ca-commands.js";
import { type CliIo, UsageError } from "./io.js";
import { specNormalize, specValidate } from "./spec-commands.js";
import { STACK_USAGE, stackBuild, stackList } from "./stack-commands.js";
import { tokenCreate } from "./token-commands.js";

const HELP = `slipway: a self-hostable platform-as-a-service for DigitalOcean-compatible app specs

Usage:
  slipway server [--data-dir DIR] [--listen HOST:PORT] [--base-domain DOMAIN]
      Run the API and the controllers (default 127.0.0.1:8420, data in /var/lib/slipway).
      Apps: --http-listen (127.0.0.1:8080), --https-listen (127.0.0.1:8443, certificates from the
      local CA: see \`slipway ca export\`), --jwks-refresh SECONDS (900) for slipway_auth issuers.
      --acme-directory URL [--acme-email E] [--acme-ca-file PEM]: ACME certificates for custom domains.
      --sandbox-runtime runsc|bwrap|process forces what apps run in (default: the strongest that works).
      --autoscale-interval-seconds (15), --autoscale-stabilization-seconds (300),
      --min-inactivity-seconds (600, the shortest inactivity_sleep allowed).
      Apps keep running when it stops; the next server adopts them (--stop-instances-on-exit: not).
  slipway doctor [--data-dir DIR] [--url URL] [--token T]
      Check runsc, bwrap, haproxy, buildah/skopeo/umoci, nft, cgroups, the data dir and the server's
      node status: OK/WARN/FAIL lines, exit 1 on any FAIL.
  slipway stop --all [--data-dir DIR] [--network-prefix P]
      Stop the instances, app networks and HAProxy a stopped server left running.
${APPS_USAGE.map((u) => `  ${u}`).join("\n")}
      (-o table|json|yaml and --context NAME on every apps verb)
  slipway token create --user NAME --role owner|member|viewer [--team TEAM]
  slipway spec validate FILE|-  [-o text|json] [--backend local|kubernetes]
      Check an app spec (.do/app.yaml or .do/deploy.template.yaml). Exit 0 valid, 1 invalid, 2 usage.
  slipway spec normalize FILE|- [-o yaml|json]
      Print the spec with every default filled in.
  slipway spec schema
      Print the app spec's JSON Schema.
  slipway auth init --url URL (--token T | --token-file F) [--context NAME]
      Check a token against a server and save it as the current context.
  slipway auth switch NAME | slipway auth list
${STACK_USAGE.map((u) => `  ${u}`).join("\n")}
${CA_USAGE.map((u) => `  ${u}`).join("\n")}
  slipway help

The server and token come from SLIPWAY_URL and SLIPWAY_TOKEN when set, else from the current
context in ~/.config/slipway/config.yaml (or $SLIPWAY_CONFIG).
`;

type Command = (io: CliIo, argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  "auth init": authInit,
  "auth switch": authSwitch,
  "auth list": authList,
  "token create": tokenCreate,
  "spec validate": specValidate,
  "spec normalize": specNormalize,
  "stack build": stackBuild,
  "stack list": stackList,
  "ca export": caExport,
  "spec schema": async (io) => {
    io.stdout(`${JSON.stringify(appSpecJsonSchema(), null, 2)}\n`);
    return 0;
  },
};

/** Whether `--help` or `-h` stands among the arguments (before a `--`). */
export function helpRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * The usage of what `argv` names: the entries of the help (a `slipway ...` line and the lines
 * indented under it) that start with the longest run of its leading words some entry starts
 * with (`apps create --help` -> that verb, `apps --help` -> every apps verb); the whole help
 * when none does.
 */
export function helpFor(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-") || a === "help") break;
    words.push(a);
  }
  const entries: string[] = [];
  for (const line of HELP.split("\n")) {
    if (line.startsWith("  slipway ")) entries.push(line);
    else if (line.startsWith("      ") && entries.length > 0) entries.push(`${entries.pop()}\n${line}`);
  }
  for (let n = words.length; n > 0; n--) {
    const prefix = `  slipway ${words.slice(0, n).join(" ")}`;
    const found = entries.filter(
      (e) => e === prefix || e.startsWith(`${prefix} `) || e.startsWith(`${prefix}\n`),
    );
    if (found.length > 0) return `Usage:\n${found.join("\n")}\n`;
  }
  return HELP;
}

/** Runs `slipway` with `argv` (without the program name). Never throws for bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || ["help", "--help", "-h"].includes(argv[0] as string)) {
    (argv.length === 0 ? io.stderr : io.stdout)(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  if (helpRequested(argv)) {
    io.stdout(helpFor(argv));
    return 0;
  }
  const key = argv.slice(0, 2).join(" ");
  const command = argv[0] === "apps" ? (i: CliIo, rest: string[]) => appsCommand(i, rest) : COMMANDS[key];
  const skip = argv[0] === "apps" ? 1 : 2;
  try {
    if (command === undefined)
      throw new UsageError(`slipway: unknown command "${key}"; run \`slipway help\``);
    return await command(io, argv.slice(skip));
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof SlipwayError) {
      io.stderr(`${err.message}\n`);
      for (const d of err.details) io.stderr(`  ${d.path === "" ? "" : `${d.path}: `}${d.message}\n`);
      return 1;
    }
    io.stderr(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
