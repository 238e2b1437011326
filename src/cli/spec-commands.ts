/**
 * `slipway spec validate FILE|-` and `slipway spec normalize FILE|-`, shaped like
 * `doctl apps spec validate`: exit 0 when valid, 1 when invalid, 2 on a usage error.
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import {
  type Backend,
  createSpecValidator,
  formatIssue,
  normalize,
  type ValidationResult,
} from "../spec/index.js";
import { type CliIo, UsageError } from "./io.js";

const OUTPUTS = ["text", "json", "yaml"] as const;

interface SpecArgs {
  file: string;
  output: (typeof OUTPUTS)[number] | undefined;
  backend: Backend;
}

function parse(args: string[], verb: string): SpecArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { output: { type: "string", short: "o" }, backend: { type: "string" } },
  });
  const [file, ...extra] = positionals;
  if (file === undefined)
    throw new UsageError(`slipway spec ${verb}: missing FILE (a path, or - for standard input)`);
  if (extra.length > 0) throw new UsageError(`slipway spec ${verb}: unexpected argument "${extra[0]}"`);
  const output = values.output as SpecArgs["output"];
  if (output !== undefined && !OUTPUTS.includes(output)) {
    throw new UsageError(`slipway spec ${verb}: -o must be one of ${OUTPUTS.join(", ")}, got "${output}"`);
  }
  const backend = (values.backend ?? "local") as Backend;
  if (backend !== "local" && backend !== "kubernetes") {
    throw new UsageError(`slipway spec ${verb}: --backend must be local or kubernetes, got "${backend}"`);
  }
  return { file, output, backend };
}

async function load(io: CliIo, args: SpecArgs): Promise<{ name: string; result: ValidationResult }> {
  const name = args.file === "-" ? "<stdin>" : args.file;
  let bytes: Uint8Array;
  try {
    bytes = args.file === "-" ? await io.readStdin() : await io.readFile(args.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(err);
    throw new UsageError(`${name}: cannot read the spec: ${why}`);
  }
  return { name, result: createSpecValidator().validateText(bytes, { backend: args.backend }) };
}

function report(io: CliIo, name: string, result: ValidationResult): void {
  for (const w of result.warnings) io.stderr(`warning: ${formatIssue(w, name)}\n`);
  for (const e of result.errors) io.stderr(`${formatIssue(e, name)}\n`);
  if (!result.valid) {
    const n = result.errors.length;
    io.stderr(`${name}: ${n} error${n === 1 ? "" : "s"}; the spec is not valid\n`);
  }
}

/** `slipway spec validate`. Returns the exit code. */
export async function specValidate(io: CliIo, argv: string[]): Promise<number> {
  const args = parse(argv, "validate");
  const { name, result } = await load(io, args);
  if (args.output === "json") {
    const { valid, errors, warnings } = result;
    io.stdout(`${JSON.stringify({ valid, errors, warnings }, null, 2)}\n`);
    return valid ? 0 : 1;
  }
  report(io, name, result);
  if (result.valid) io.stdout(`${name}: valid (${result.warnings.length} warnings)\n`);
  return result.valid ? 0 : 1;
}

/** `slipway spec normalize`: prints the spec with every default filled (YAML, or JSON with -o json). */
export async function specNormalize(io: CliIo, argv: string[]): Promise<number> {
  const args = parse(argv, "normalize");
  const { name, result } = await load(io, args);
  if (!result.valid || result.spec === undefined) {
    report(io, name, result);
    return 1;
  }
  for (const w of result.warnings) io.stderr(`warning: ${formatIssue(w, name)}\n`);
  const spec = normalize(result.spec);
  io.stdout(
    args.output === "json" ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec, { lineWidth: 0 }),
  );
  return 0;
}
