/** A CliIo for tests: what the command writes is recorded; reading or fetching is an error. */
import type { CliIo } from "./io.js";

export function recordingIo(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const unused = () => Promise.reject(new Error("not used by this command"));
  const io: CliIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readStdin: unused,
    readFile: unused,
    writeFile: unused,
    env: {},
    fetch: unused,
  };
  return { io, out, err };
}
