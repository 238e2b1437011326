/**
 * Procfile parsing (`<process>: <command>` lines, as Heroku reads them). A Procfile overrides the
 * run command: `web` becomes a service, `release` a pre-deploy job, every other process a worker.
 */
import type { ProbeContext, Procfile } from "./types.js";

/** A Procfile's processes, or why it cannot be used; `none` when there is no Procfile. */
export type ProcfileRead =
  | { kind: "none" }
  | { kind: "found"; procfile: Procfile; names: string[] }
  | { kind: "invalid"; message: string };

const LINE = /^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*?)\s*$/;

/** Parses the text of a Procfile; a later line for the same process replaces an earlier one. */
export function parseProcfile(text: string): { procfile: Procfile; names: string[]; skipped: number[] } {
  const processes = new Map<string, string>();
  const skipped: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const match = LINE.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[2] === "") skipped.push(i + 1);
    else processes.set(match[1], match[2]);
  });
  const others: Record<string, string> = {};
  for (const [name, command] of processes) if (name !== "web" && name !== "worker") others[name] = command;
  const procfile: Procfile = { others };
  const web = processes.get("web");
  const worker = processes.get("worker");
  if (web !== undefined) procfile.web = web;
  if (worker !== undefined) procfile.worker = worker;
  return { procfile, names: [...processes.keys()], skipped };
}

/** Reads `Procfile` from the tree; a Procfile with no process is invalid and says which lines were not ones. */
export function readProcfile(ctx: ProbeContext): ProcfileRead {
  if (!ctx.tree.exists("Procfile")) return { kind: "none" };
  const text = ctx.tree.read("Procfile");
  const file = ctx.show("Procfile");
  if (text === undefined) {
    return { kind: "invalid", message: `${file}: cannot be read (not a regular file, or larger than 1 MiB)` };
  }
  const { procfile, names, skipped } = parseProcfile(text);
  if (names.length > 0) return { kind: "found", procfile, names };
  const lines =
    skipped.length === 0
      ? "it is empty"
      : `line ${skipped.join(", ")} ${skipped.length === 1 ? "is" : "are"} not "<process>: <command>"`;
  return {
    kind: "invalid",
    message: `${file}: declares no process (${lines}); write lines such as "web: gunicorn app:app" or delete the file`,
  };
}
