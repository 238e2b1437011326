/**
 * Composition root of the `slipway` program: wires the real process streams and file system to
 * the CLI and exits with its code.
 */
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { runCli } from "../cli/run.js";

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => Buffer.from(await text(process.stdin), "utf8"),
  readFile: (path) => readFile(path),
});
process.exitCode = code;
