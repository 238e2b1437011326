/**
 * Composition root of the `slipway` program: wires the real process streams and file system to
 * the CLI and exits with its code.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { text } from "node:stream/consumers";
import { helpRequested, runCli } from "../cli/run.js";

const argv = process.argv.slice(2);
// `slipway server --help` and the like are answered by the CLI's help, not parsed as options.
const command = helpRequested(argv) ? "help" : argv[0];
const code =
  command === "server"
    ? await (await import("./server.js")).runServer(argv.slice(1)).catch((err: unknown) => {
        process.stderr.write(`slipway server: ${err instanceof Error ? err.message : String(err)}\n`);
        return 2;
      })
    : command === "doctor"
      ? await (await import("./doctor.js")).runDoctor(argv.slice(1)).catch((err: unknown) => {
          process.stderr.write(`slipway doctor: ${err instanceof Error ? err.message : String(err)}\n`);
          return 2;
        })
      : command === "stop"
        ? await (await import("./stop-all.js")).runStopAll(argv.slice(1)).catch((err: unknown) => {
            process.stderr.write(`slipway stop: ${err instanceof Error ? err.message : String(err)}\n`);
            return 2;
          })
        : await runCli(argv, {
            stdout: (s) => process.stdout.write(s),
            stderr: (s) => process.stderr.write(s),
            readStdin: async () => Buffer.from(await text(process.stdin), "utf8"),
            readFile: (path) => readFile(path),
            writeFile: async (path, data, mode) => {
              await mkdir(dirname(path), { recursive: true, mode: 0o700 });
              const tmp = `${path}.${process.pid}.tmp`;
              await writeFile(tmp, data, { mode });
              await rename(tmp, path);
            },
            env: process.env,
            fetch: globalThis.fetch,
          });
process.exitCode = code;
// The server has stopped everything it started; nothing it leaves (a stuck child's pipe) may keep
// the process alive.
if (command === "server") process.exit(code);
